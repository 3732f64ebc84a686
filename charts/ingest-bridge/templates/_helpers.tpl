{{/*
Names, labels, the pod's pieces and the shared checks come from the pipeline-common library chart
(charts/pipeline-common); this chart adds its component label, its container's name and its own checks.
*/}}

{{/* The app.kubernetes.io/component label. */}}
{{- define "ingest-bridge.component" -}}
ingest
{{- end }}

{{/* The main container's name. */}}
{{- define "ingest-bridge.containerName" -}}
bridge
{{- end }}

{{/* Refuses values that would render a broken release. */}}
{{- define "ingest-bridge.validate" -}}
{{- include "pipeline-common.validate" . }}
{{- end }}
