package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
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
// secret, in constant time. Forgejo sends the same header. See ReadGitea.
func VerifyGitea(secret, body []byte, header string) error {
	_, err := ReadGitea(bytes.NewReader(body), secret, header, int64(len(body)))
	return err
}

// ReadGitea reads a Gitea delivery's body from r while it checks header,
// as ReadGitHub does: a request that cannot be genuine is refused after at
// most UnsignedLimit bytes, a well-formed one is hashed as it is read (at
// most max bytes) and compared in constant time at the end.
func ReadGitea(r io.Reader, secret []byte, header string, max int64) ([]byte, error) {
	return readSigned(r, secret, header, "", max)
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
