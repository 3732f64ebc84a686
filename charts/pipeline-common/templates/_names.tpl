{{/*
Names and labels of a pipeline chart. Each chart using this library defines "<chart>.component"
(the app.kubernetes.io/component label: ingest, worker).
*/}}

{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "pipeline-common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release name, plus the chart name when the release name does not contain it. */}}
{{- define "pipeline-common.fullname" -}}
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
{{- define "pipeline-common.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels. */}}
{{- define "pipeline-common.labels" -}}
helm.sh/chart: {{ include "pipeline-common.chart" . }}
{{ include "pipeline-common.selectorLabels" . }}
app.kubernetes.io/version: {{ (default .Chart.AppVersion .Values.image.tag) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ include (printf "%s.component" .Chart.Name) . }}
app.kubernetes.io/part-of: sensor-pipeline
{{- end }}

{{/* Selector labels. */}}
{{- define "pipeline-common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pipeline-common.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* ServiceAccount name. */}}
{{- define "pipeline-common.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pipeline-common.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image: by digest when one is given (what the environments deploy), else by tag. */}}
{{- define "pipeline-common.image" -}}
{{ .Values.image.repository }}{{ if .Values.image.digest }}@{{ .Values.image.digest }}{{ else }}:{{ default .Chart.AppVersion .Values.image.tag }}{{ end }}
{{- end }}
