package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// Headers of Gitea's and GitLab's deliveries.
const (
	GiteaSignatureHeader = "X-Gitea-Signature"
	GiteaDeliveryHeader  = "X-Gitea-Delivery"
	GiteaEventHeader     = "X-Gitea-Event"
	GitLabTokenHeader    = "X-Gitlab-Token"
	GitLabEventHeader    = "X-Gitlab-Event"
	GitLabEventUUID      = "X-Gitlab-Event-UUID"
)

// VerifyGitea checks header, the value of X-Gitea-Signature (lower-case
// hex of the HMAC-SHA256 of the body, without a prefix), against body and
// secret, in constant time. Forgejo sends the same header.
func VerifyGitea(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if header == "" {
		return ErrUnsigned
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return compare(header, "", mac.Sum(nil))
}

// SignGitea returns the X-Gitea-Signature value Gitea would send for body.
func SignGitea(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// VerifyGitLab checks header, the value of X-Gitlab-Token, against the
// webhook's secret token, in constant time. GitLab signs nothing: it sends
// the secret itself, so only TLS keeps it secret in transit.
func VerifyGitLab(secret []byte, header string) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if header == "" {
		return ErrUnsigned
	}
	// Compare digests, so the time taken does not depend on the lengths.
	got, want := sha256.Sum256([]byte(header)), sha256.Sum256(secret)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrBadSignature
	}
	return nil
}
