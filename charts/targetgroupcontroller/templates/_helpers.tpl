{{/*
Object names are fixed, not derived from the release name: the controller's
flags, its RBAC resourceNames and the webhook configurations refer to each
other by these names, and one tgc runs per cluster (it owns cluster-scoped
CRDs and webhooks). They match config/default.
*/}}
{{- define "tgc.name" -}}targetgroupcontroller{{- end -}}
{{- define "tgc.webhookService" -}}tgc-webhook-service{{- end -}}
{{- define "tgc.webhookSecret" -}}tgc-webhook-server-cert{{- end -}}
{{- define "tgc.mutatingConfig" -}}tgc-pod-readiness-gate{{- end -}}
{{- define "tgc.validatingConfig" -}}tgc-validation{{- end -}}

{{- define "tgc.selectorLabels" -}}
app.kubernetes.io/name: targetgroupcontroller
{{- end -}}

{{- define "tgc.labels" -}}
{{ include "tgc.selectorLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "tgc.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}
