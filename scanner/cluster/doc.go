// Package cluster loads the workloads, Services and RBAC objects of a live
// cluster as scanner inputs, so the controls that check files check the
// cluster through the same code path.
//
// Each object is read through the API server's list endpoints, page by page,
// and rendered as one YAML document under a stable pseudo file name,
// cluster/<namespace>/<Kind>/<name> (cluster/<Kind>/<name> for cluster-scoped
// objects), with status, managedFields and server bookkeeping dropped; lines
// and columns of findings point into that rendering. Pods and ReplicaSets (and
// Jobs of CronJobs) whose controller was listed too are reported once, at
// their controller: fixing the owner fixes them.
//
// Access is read-only: list on the kinds of Kinds, nothing else.
package cluster
