package scanner

// DefaultCatalog returns every control of the catalog in
// ../shared/controls.md. IDs are a public contract: never rename one.
func DefaultCatalog() *Catalog {
	return NewCatalog(withRisks([]*Control{
		// Fixable controls.
		imagePullPolicy(),
		readOnlyRootFilesystem(),
		noPrivilegeEscalation(),
		runAsNonRoot(),
		privileged(),
		dropAllCapabilities(),
		dangerousCapabilities(),
		hostNetwork(),
		hostPID(),
		hostIPC(),
		seccompProfile(),
		automountServiceAccountToken(),
		imageTag(),
		restrictedCapabilities(),
		resourceLimits(),
		resourceRequests(),
		// Report-only controls.
		runAsUserRoot(),
		hostPathVolume(),
		hostPort(),
		hostProcess(),
		unsafeSysctls(),
		procMount(),
		seLinuxOptions(),
		appArmorUnconfined(),
		restrictedVolumeType(),
		hostProbe(),
		livenessProbe(),
		readinessProbe(),
		defaultNamespace(),
		secretsInEnv(),
		rbacClusterAdmin(),
		rbacSecretsAccess(),
		rbacWildcard(),
		rbacPodCreate(),
		serviceNodePort(),
		ignoreWithoutReason(),
	}))
}

func ignoreWithoutReason() *Control {
	return &Control{
		ID: IgnoreWithoutReasonID, Title: "remedy:ignore without a reason", Severity: SeverityLow,
		Refs:     []string{"remedy"},
		Why:      "A suppression nobody can audit hides risk. remedy only honours `# remedy:ignore` when it says why.",
		HowToFix: "Add the reason after the control IDs: `# remedy:ignore read-only-root-filesystem writes its cache to /tmp`.",
		// Evaluated per file by the scan itself, not per resource.
	}
}
