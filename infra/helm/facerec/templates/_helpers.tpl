{{/* Names and labels shared by every object. */}}
{{- define "facerec.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "facerec.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: call with (dict "root" $ "component" "gateway"). */}}
{{- define "facerec.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "facerec.natsUrl" -}}
{{- if .Values.nats.url -}}{{ .Values.nats.url }}{{- else -}}nats://{{ include "facerec.fullname" . }}-nats:4222{{- end -}}
{{- end -}}

{{/* Whether the in-chart NATS has a user per tenant (nats.tenantUsers): "true" or empty. */}}
{{- define "facerec.natsUsers" -}}
{{- if and .Values.nats.deploy (not .Values.nats.url) (not .Values.nats.credentialsSecret) .Values.nats.tenantUsers -}}true{{- end -}}
{{- end -}}

{{/* The tenants with a NATS user: those listed, and the release's own edge detectors' tenant. */}}
{{- define "facerec.natsTenants" -}}
{{- uniq (append (.Values.nats.tenantUsers | default list) .Values.tenant) | sortAlpha | toJson -}}
{{- end -}}

{{- define "facerec.natsUsersSecret" -}}{{ include "facerec.fullname" . }}-nats-users{{- end -}}

{{/* A NATS user's password as the environment variable nats.conf reads it: edge-my-site -> NATS_PASSWORD_EDGE_MY_SITE. */}}
{{- define "facerec.natsPasswordVar" -}}NATS_PASSWORD_{{ . | upper | replace "-" "_" }}{{- end -}}

{{/* NATS_USER and NATS_PASSWORD for a service, as `user` of the in-chart NATS's users. */}}
{{- define "facerec.natsUserEnv" -}}
- name: NATS_USER
  value: {{ .user | quote }}
- name: NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "facerec.natsUsersSecret" .root }}
      key: {{ .user }}
{{- end -}}

{{/* Volumes (and their mounts) for the Secrets a service reads as files: NATS credentials and CA, the gateway's TLS pair. */}}
{{- define "facerec.secretVolumes" -}}
{{- if .root.Values.nats.credentialsSecret }}
- name: nats-credentials
  secret: { secretName: {{ .root.Values.nats.credentialsSecret }} }
{{- end }}
{{- if .root.Values.nats.caSecret }}
- name: nats-ca
  secret: { secretName: {{ .root.Values.nats.caSecret }} }
{{- end }}
{{- if and (eq .service "gateway") .root.Values.gateway.tlsSecret }}
- name: tls
  secret: { secretName: {{ .root.Values.gateway.tlsSecret }} }
{{- end }}
{{- end -}}

{{- define "facerec.secretMounts" -}}
{{- if .root.Values.nats.credentialsSecret }}
- name: nats-credentials
  mountPath: /etc/facerec/nats
  readOnly: true
{{- end }}
{{- if .root.Values.nats.caSecret }}
- name: nats-ca
  mountPath: /etc/facerec/nats-ca
  readOnly: true
{{- end }}
{{- if and (eq .service "gateway") .root.Values.gateway.tlsSecret }}
- name: tls
  mountPath: /etc/facerec/tls
  readOnly: true
{{- end }}
{{- end -}}

{{- define "facerec.redisUrl" -}}
{{- if .Values.redis.url -}}{{ .Values.redis.url }}{{- else if .Values.redis.deploy -}}redis://{{ include "facerec.fullname" . }}-redis:6379{{- end -}}
{{- end -}}

{{/* Whether a service that keeps state (gateway, matcher) runs, and so needs PostgreSQL. */}}
{{- define "facerec.needsDatabase" -}}
{{- if or .Values.gateway.enabled .Values.matcher.enabled }}true{{ end -}}
{{- end -}}

{{/* The Secret with PostgreSQL's connection URL (key `url`) and, in-chart, its password. */}}
{{- define "facerec.postgresSecret" -}}
{{- .Values.postgres.secret | default (printf "%s-postgres" (include "facerec.fullname" .)) -}}
{{- end -}}

{{/* DATABASE_URL, from the Secret: the URL carries the password, so it never appears in a manifest. */}}
{{- define "facerec.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "facerec.postgresSecret" . }}
      key: url
{{- end -}}

{{/* The Secret with the key that seals webhook secrets (key `key`): the operator's, or the chart's. */}}
{{- define "facerec.webhookKeySecret" -}}
{{- .Values.webhooks.keySecret | default (printf "%s-webhooks" (include "facerec.fullname" .)) -}}
{{- end -}}

{{/* The Secret with the edge detectors' push key (key `push-key`): the operator's, or the chart's. */}}
{{- define "facerec.edgePushKeySecret" -}}
{{- .Values.edgeDetector.pushKeySecret | default (printf "%s-edge-push" (include "facerec.fullname" .)) -}}
{{- end -}}

{{- define "facerec.image" -}}
{{ .root.Values.image.repository }}/{{ .service }}:{{ .root.Values.image.tag }}
{{- end -}}

{{- define "facerec.bootstrapSecret" -}}
{{- .Values.gateway.bootstrapSecret | default (printf "%s-bootstrap" (include "facerec.fullname" .)) -}}
{{- end -}}

{{/* The pod-level settings every facerec container shares: non-root, read-only root, no privileges. */}}
{{- define "facerec.podSpec" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A container's probes on its HTTP health endpoints. */}}
{{- define "facerec.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: {{ .port }} }
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet: { path: /healthz, port: {{ .port }} }
  periodSeconds: 15
  timeoutSeconds: 3
readinessProbe:
  httpGet: { path: {{ .ready | default "/readyz" }}, port: {{ .port }} }
  periodSeconds: 10
  timeoutSeconds: 3
{{- end -}}

{{/* Environment shared by the services. */}}
{{- define "facerec.commonEnv" -}}
- name: NATS_URL
  value: {{ include "facerec.natsUrl" . | quote }}
{{- if .Values.nats.credentialsSecret }}
- name: NATS_CREDS_FILE
  value: /etc/facerec/nats/nats.creds
{{- end }}
{{- if .Values.nats.caSecret }}
- name: NATS_TLS_CA_FILE
  value: /etc/facerec/nats-ca/ca.crt
{{- end }}
{{- if .Values.redis.urlSecret }}
{{- /* A URL with a password lives in a Secret, never in the manifest. */}}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.urlSecret }}
      key: url
{{- else }}
{{- with (include "facerec.redisUrl" .) }}
- name: REDIS_URL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- with .Values.qdrant.url }}
- name: QDRANT_URL
  value: {{ . | quote }}
{{- end }}
{{- end -}}
