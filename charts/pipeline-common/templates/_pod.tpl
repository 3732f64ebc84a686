{{/*
Pieces of the pipeline charts' Deployments, each included at its place with nindent. A chart using
this library defines "<chart>.containerName" (the main container's name).
*/}}

{{/* Pod Security admission `restricted`: a non-root user and the runtime's seccomp profile. */}}
{{- define "pipeline-common.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Every container: no privilege escalation, a read-only root, no capabilities. */}}
{{- define "pipeline-common.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* The metrics port and the memory the process plans with. */}}
{{- define "pipeline-common.runtimeEnv" -}}
- name: METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
# The pod's memory limit: fetch sizes, batch bounds and work in flight derive from it
# (workers/lib/memory-budget.ts), and Node's heap from the same limit.
- name: MEMORY_LIMIT_BYTES
  valueFrom:
    resourceFieldRef:
      containerName: {{ include (printf "%s.containerName" .Chart.Name) . }}
      resource: limits.memory
- name: NODE_OPTIONS
  value: "--enable-source-maps --max-semi-space-size=32 --max-old-space-size={{ include "pipeline-common.heapMiB" . }}"
{{- end }}

{{/* Kafka and Temporal clients: addresses, SASL from a mounted file, TLS from the mounted Secret. */}}
{{- define "pipeline-common.clientEnv" -}}
- name: KAFKA_BROKERS
  value: {{ .Values.kafka.brokers | quote }}
- name: KAFKA_SSL
  value: {{ .Values.kafka.ssl | quote }}
{{- if and .Values.kafka.ssl .Values.tls.existingSecret }}
- name: KAFKA_SSL_CA_PATH
  value: {{ printf "%s/ca.crt" .Values.tls.mountPath | quote }}
{{- end }}
{{- if .Values.kafka.sasl.username }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ .Values.kafka.sasl.username | quote }}
# A file, read at each connection's authentication: a rotated password needs no restart.
- name: KAFKA_SASL_PASSWORD_FILE
  value: /etc/sensor/kafka-sasl/password
{{- end }}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: TEMPORAL_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
{{- if .Values.temporal.tls.enabled }}
- name: TEMPORAL_TLS_CA_PATH
  value: {{ printf "%s/ca.crt" .Values.tls.mountPath | quote }}
- name: TEMPORAL_TLS_CERT_PATH
  value: {{ printf "%s/tls.crt" .Values.tls.mountPath | quote }}
- name: TEMPORAL_TLS_KEY_PATH
  value: {{ printf "%s/tls.key" .Values.tls.mountPath | quote }}
{{- with .Values.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Started, alive and ready, from the metrics server's /healthz and /readyz. */}}
{{- define "pipeline-common.probes" -}}
startupProbe:
  httpGet:
    path: /healthz
    port: metrics
  periodSeconds: 5
  failureThreshold: {{ div .Values.probes.startupTimeoutSeconds 5 | max 1 }}
livenessProbe:
  httpGet:
    path: /healthz
    port: metrics
  periodSeconds: {{ .Values.probes.livenessPeriodSeconds }}
  failureThreshold: {{ .Values.probes.livenessFailureThreshold }}
readinessProbe:
  httpGet:
    path: /readyz
    port: metrics
  periodSeconds: {{ .Values.probes.readinessPeriodSeconds }}
{{- end }}

{{/* The mounts of the Kafka SASL password and the TLS Secret, when set. */}}
{{- define "pipeline-common.clientSecretMounts" -}}
{{- if .Values.kafka.sasl.username }}
- name: kafka-sasl
  mountPath: /etc/sensor/kafka-sasl
  readOnly: true
{{- end }}
{{- if .Values.tls.existingSecret }}
- name: tls
  mountPath: {{ .Values.tls.mountPath }}
  readOnly: true
{{- end }}
{{- end }}

{{/* The volumes of those mounts. */}}
{{- define "pipeline-common.clientSecretVolumes" -}}
{{- if .Values.kafka.sasl.username }}
- name: kafka-sasl
  secret:
    secretName: {{ .Values.kafka.sasl.existingSecret }}
    defaultMode: 0440
    items:
      - key: {{ .Values.kafka.sasl.passwordKey }}
        path: password
{{- end }}
{{- if .Values.tls.existingSecret }}
- name: tls
  secret:
    secretName: {{ .Values.tls.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end }}

{{/* Node selection, tolerations, affinity, and a spread over zones unless the values give one. */}}
{{- define "pipeline-common.scheduling" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
topologySpreadConstraints:
  {{- if .Values.topologySpreadConstraints }}
  {{- toYaml .Values.topologySpreadConstraints | nindent 2 }}
  {{- else }}
  - maxSkew: 1
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "pipeline-common.selectorLabels" . | nindent 8 }}
  {{- end }}
{{- end }}
