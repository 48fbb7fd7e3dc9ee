{{/*
Name of the chart, shortened to the 63 characters that a label value allows.
*/}}
{{- define "spaceone-api-key.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Base name of the release's objects. The components append "-grpc" or "-rest",
so it is shortened to 52 characters.
*/}}
{{- define "spaceone-api-key.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := .Values.nameOverride | default .Chart.Name }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Labels that select the release's pods. A component label is added per Deployment.
*/}}
{{- define "spaceone-api-key.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spaceone-api-key.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of every object of the release.
*/}}
{{- define "spaceone-api-key.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "spaceone-api-key.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spaceone
{{- end }}

{{- define "spaceone-api-key.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- .Values.serviceAccount.name | default (include "spaceone-api-key.fullname" .) }}
{{- else }}
{{- .Values.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{- define "spaceone-api-key.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-credentials" (include "spaceone-api-key.fullname" .)) }}
{{- end }}

{{- define "spaceone-api-key.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
Checks that fail the rendering on values that would break a rolling upgrade.
*/}}
{{- define "spaceone-api-key.checkValues" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (add (int .Values.preStopSleepSeconds) (int .Values.config.GRPC_SHUTDOWN_GRACE_SECONDS)) }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must be greater than preStopSleepSeconds (%d) plus config.GRPC_SHUTDOWN_GRACE_SECONDS (%d), or the kubelet kills calls still in flight" (int .Values.terminationGracePeriodSeconds) (int .Values.preStopSleepSeconds) (int .Values.config.GRPC_SHUTDOWN_GRACE_SECONDS)) }}
{{- end }}
{{- end }}

{{/*
Environment variables shared by both servers: the credentials that
render_config.py substitutes into config.yml.
*/}}
{{- define "spaceone-api-key.credentialEnv" -}}
- name: MONGODB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "spaceone-api-key.secretName" . }}
      key: {{ .Values.secrets.mongodbPasswordKey }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "spaceone-api-key.secretName" . }}
      key: {{ .Values.secrets.redisPasswordKey }}
      # A Redis without a password leaves the key out and config.CACHES.default.password unset.
      optional: true
- name: SYSTEM_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "spaceone-api-key.secretName" . }}
      key: {{ .Values.secrets.systemTokenKey }}
{{- end }}

{{/*
Pod-level settings shared by both Deployments.
*/}}
{{- define "spaceone-api-key.podSpec" -}}
serviceAccountName: {{ include "spaceone-api-key.serviceAccountName" . }}
# The service never calls the Kubernetes API.
automountServiceAccountToken: false
# Service links would add variables such as REDIS_PORT=tcp://... to the environment.
enableServiceLinks: false
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
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
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: config-template
    configMap:
      name: {{ include "spaceone-api-key.fullname" . }}-config
  # The rendered config.yml contains the credentials, so it lives in memory only.
  - name: rendered-config
    emptyDir:
      medium: Memory
      sizeLimit: 1Mi
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end }}

{{/*
Container settings shared by both servers: image, security and mounts.
*/}}
{{- define "spaceone-api-key.containerCommon" -}}
image: {{ include "spaceone-api-key.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
volumeMounts:
  - name: config-template
    mountPath: /etc/spaceone
    readOnly: true
  - name: rendered-config
    mountPath: /run/spaceone
  - name: tmp
    mountPath: /tmp
lifecycle:
  preStop:
    exec:
      command: ["sleep", "{{ .Values.preStopSleepSeconds }}"]
{{- end }}

{{/*
Annotations that roll the pods when the configuration changes. No checksum of
the Secret is published, because a hash of a weak password can be brute-forced:
roll the Deployments after changing a credential.
*/}}
{{- define "spaceone-api-key.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end }}
