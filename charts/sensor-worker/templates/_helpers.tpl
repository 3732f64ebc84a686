{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "sensor-worker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name when the release name does not contain it. */}}
{{- define "sensor-worker.fullname" -}}
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
{{- define "sensor-worker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. */}}
{{- define "sensor-worker.labels" -}}
helm.sh/chart: {{ include "sensor-worker.chart" . }}
{{ include "sensor-worker.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: worker
app.kubernetes.io/part-of: sensor-pipeline
{{- end }}

{{/* Selector labels. */}}
{{- define "sensor-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sensor-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "sensor-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sensor-worker.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Refuses values that would render a broken release. */}}
{{- define "sensor-worker.validate" -}}
{{- if not .Values.kafka.brokers }}
{{- fail "kafka.brokers is required: the Kafka bootstrap servers as host:port[,host:port]" }}
{{- end }}
{{- if not .Values.temporal.address }}
{{- fail "temporal.address is required: the Temporal frontend as host:port" }}
{{- end }}
{{- if not .Values.database.existingSecret }}
{{- fail "database.existingSecret is required: the Secret with the worker role's host, port, dbname, username, password and sslmode" }}
{{- end }}
{{- if and .Values.migrations.enabled (not .Values.migrations.existingSecret) }}
{{- fail "migrations.existingSecret is required when migrations.enabled is true: the Secret with the database owner's credentials, which the migrate init container runs as" }}
{{- end }}
{{- if and .Values.versioning.enabled (not .Values.versioning.deploymentName) }}
{{- fail "versioning.deploymentName is required when versioning.enabled is true: the Temporal Worker Deployment name" }}
{{- end }}
{{- if and .Values.kafka.sasl.username (not .Values.kafka.sasl.existingSecret) }}
{{- fail (printf "kafka.sasl.existingSecret is required when kafka.sasl.username (%s) is set: the Secret holding the SASL password" .Values.kafka.sasl.username) }}
{{- end }}
{{- if and .Values.temporal.tls.enabled (not .Values.tls.existingSecret) }}
{{- fail "tls.existingSecret is required when temporal.tls.enabled is true: the Secret with the client certificate (tls.crt, tls.key) and ca.crt" }}
{{- end }}
{{- if and .Values.database.tls (not .Values.tls.existingSecret) }}
{{- fail "tls.existingSecret is required when database.tls is true: its ca.crt verifies the database server" }}
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
{{- define "sensor-worker.heapMiB" -}}
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
