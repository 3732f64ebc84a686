{{/* Whole objects the pipeline charts render alike: `{{ include "pipeline-common.<name>" . }}`. */}}

{{/* At most maxUnavailable pods down in a voluntary disruption (a drain, a node upgrade). */}}
{{- define "pipeline-common.podDisruptionBudget" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "pipeline-common.fullname" . }}
  labels:
    {{- include "pipeline-common.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "pipeline-common.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/* The pods' own identity, without an API token: they never call the Kubernetes API. */}}
{{- define "pipeline-common.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "pipeline-common.serviceAccountName" . }}
  labels:
    {{- include "pipeline-common.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end }}

{{/* NetworkPolicy egress rule: DNS to the cluster's DNS pods only (port 53 anywhere is a way out). */}}
{{- define "pipeline-common.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: {{ .Values.networkPolicy.dns.namespace }}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dns.podLabels | nindent 10 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}
