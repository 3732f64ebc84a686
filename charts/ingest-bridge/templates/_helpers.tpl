{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "ingest-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name when the release name does not contain it. */}}
{{- define "ingest-bridge.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Chart label value. */}}
{{- define "ingest-bridge.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. */}}
{{- define "ingest-bridge.labels" -}}
helm.sh/chart: {{ include "ingest-bridge.chart" . }}
{{ include "ingest-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: ingest
app.kubernetes.io/part-of: sensor-pipeline
{{- end }}

{{/* Selector labels. */}}
{{- define "ingest-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ingest-bridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "ingest-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ingest-bridge.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Refuses values that would render a broken release. */}}
{{- define "ingest-bridge.validate" -}}
{{- if not .Values.kafka.brokers }}
{{- fail "kafka.brokers is required: the Kafka bootstrap servers as host:port[,host:port]" }}
{{- end }}
{{- if not .Values.temporal.address }}
{{- fail "temporal.address is required: the Temporal frontend as host:port" }}
{{- end }}
{{- if and .Values.kafka.sasl.username (not .Values.kafka.sasl.existingSecret) }}
{{- fail (printf "kafka.sasl.existingSecret is required when kafka.sasl.username (%s) is set: the Secret holding the SASL password" .Values.kafka.sasl.username) }}
{{- end }}
{{- if and .Values.temporal.tls.enabled (not .Values.tls.existingSecret) }}
{{- fail "tls.existingSecret is required when temporal.tls.enabled is true: the Secret with the client certificate (tls.crt, tls.key) and ca.crt" }}
{{- end }}
{{- if and (not .Values.autoscaling.enabled) (lt (int .Values.replicaCount) 1) }}
{{- fail (printf "replicaCount (%v) must be >= 1 when autoscaling.enabled is false" .Values.replicaCount) }}
{{- end }}
{{- if and .Values.podDisruptionBudget.enabled (not .Values.autoscaling.enabled) (le (int .Values.replicaCount) (int .Values.podDisruptionBudget.maxUnavailable)) }}
{{- fail (printf "podDisruptionBudget.maxUnavailable (%v) must be < replicaCount (%v), or disable the PDB" .Values.podDisruptionBudget.maxUnavailable .Values.replicaCount) }}
{{- end }}
{{- end }}

{{/*
Node's old-space limit in MiB: half the container's memory limit, the share workers/lib/memory-budget.ts
plans with (the rest is the young generation, code, native memory and Buffers). The limit must be in Mi
or Gi.
*/}}
{{- define "ingest-bridge.heapMiB" -}}
{{- $limit := toString (required "resources.limits.memory is required: the process derives its fetch sizes, batch bounds and heap from it" .Values.resources.limits.memory) -}}
{{- $mib := 0 -}}
{{- if regexMatch "^[0-9]+Gi$" $limit -}}
{{- $mib = mul (trimSuffix "Gi" $limit | atoi) 1024 -}}
{{- else if regexMatch "^[0-9]+Mi$" $limit -}}
{{- $mib = trimSuffix "Mi" $limit | atoi -}}
{{- else -}}
{{- fail (printf "resources.limits.memory (%s) must be a whole number of Mi or Gi: Node's heap is derived from it" $limit) -}}
{{- end -}}
{{- if lt $mib 256 -}}
{{- fail (printf "resources.limits.memory (%s) must be at least 256Mi: below that the process cannot hold its clients" $limit) -}}
{{- end -}}
{{- div $mib 2 -}}
{{- end -}}
