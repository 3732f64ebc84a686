{{/*
Refuses values that would render a broken release: the checks every pipeline chart shares. A chart
with more settings adds its own in "<chart>.validate" after including this one.
*/}}
{{- define "pipeline-common.validate" -}}
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
{{- define "pipeline-common.heapMiB" -}}
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
