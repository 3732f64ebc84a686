{{/*
Names, labels, the pod's pieces and the shared checks come from the pipeline-common library chart
(charts/pipeline-common); this chart adds its component label, its container's name and its own checks.
*/}}

{{/* The app.kubernetes.io/component label. */}}
{{- define "sensor-worker.component" -}}
worker
{{- end }}

{{/* The main container's name. */}}
{{- define "sensor-worker.containerName" -}}
worker
{{- end }}

{{/* Refuses values that would render a broken release. */}}
{{- define "sensor-worker.validate" -}}
{{- include "pipeline-common.validate" . }}
{{- if not .Values.database.existingSecret }}
{{- fail "database.existingSecret is required: the Secret with the worker role's host, port, dbname, username, password and sslmode" }}
{{- end }}
{{- if and .Values.migrations.enabled (not .Values.migrations.existingSecret) }}
{{- fail "migrations.existingSecret is required when migrations.enabled is true: the Secret with the database owner's credentials, which the migrate init container runs as" }}
{{- end }}
{{- if and .Values.versioning.enabled (not .Values.versioning.deploymentName) }}
{{- fail "versioning.deploymentName is required when versioning.enabled is true: the Temporal Worker Deployment name" }}
{{- end }}
{{- if and .Values.database.tls (not .Values.tls.existingSecret) }}
{{- fail "tls.existingSecret is required when database.tls is true: its ca.crt verifies the database server" }}
{{- end }}
{{- end }}
