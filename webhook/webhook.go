// Package webhook verifies that an inbound delivery was signed by whom it
// claims: GitHub's X-Hub-Signature-256 (HMAC-SHA256 of the body) and
// Slack's v0 request signature (HMAC-SHA256 of "v0:<timestamp>:<body>"
// inside a replay window). Callers verify before they parse anything.
//
// Signatures are compared in constant time, as whole header values against
// the expected value, so a signature that differs from the expected one in
// any byte (case included: both services send lower-case hex) is refused.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Headers carrying the signatures.
const (
	GitHubSignatureHeader = "X-Hub-Signature-256"
	GitHubDeliveryHeader  = "X-GitHub-Delivery"
	GitHubEventHeader     = "X-GitHub-Event"
	SlackSignatureHeader  = "X-Slack-Signature"
	SlackTimestampHeader  = "X-Slack-Request-Timestamp"
)

// SlackReplayWindow is how far a Slack request timestamp may be from the
// server clock, either way: Slack's documented five minutes.
const SlackReplayWindow = 5 * time.Minute

// Sentinel errors: a handler answers 401 to all of them and counts them by
// kind; none says what the expected signature was.
var (
	ErrUnsigned     = errors.New("request is not signed")
	ErrBadSignature = errors.New("signature does not match")
	ErrStale        = errors.New("request timestamp is outside the replay window")
	ErrNoSecret     = errors.New("no signing secret configured")
)

// VerifyGitHub checks header, the value of X-Hub-Signature-256, against
// body and secret. See "Validating webhook deliveries" in GitHub's docs.
func VerifyGitHub(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if header == "" {
		return ErrUnsigned
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return compare(header, "sha256=", mac.Sum(nil))
}

// SignGitHub returns the X-Hub-Signature-256 value GitHub would send for
// body; for tests and for clients replaying deliveries.
func SignGitHub(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySlack checks a Slack request: signature is X-Slack-Signature,
// timestamp X-Slack-Request-Timestamp (Unix seconds), now the server clock.
// A timestamp more than SlackReplayWindow from now is refused before the
// signature is computed, so an old signed request cannot be replayed.
// See "Verifying requests from Slack" in Slack's docs.
func VerifySlack(secret, body []byte, timestamp, signature string, now time.Time) error {
	if len(secret) == 0 {
		return ErrNoSecret
	}
	if signature == "" || timestamp == "" {
		return ErrUnsigned
	}
	ts, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	if d := now.Sub(ts); d > SlackReplayWindow || d < -SlackReplayWindow {
		return ErrStale
	}
	return compare(signature, "v0=", slackMAC(secret, body, timestamp))
}

// SignSlack returns the X-Slack-Signature value for body at timestamp.
func SignSlack(secret, body []byte, timestamp string) string {
	return "v0=" + hex.EncodeToString(slackMAC(secret, body, timestamp))
}

func slackMAC(secret, body []byte, timestamp string) []byte {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("v0:"))
	mac.Write([]byte(timestamp))
	mac.Write([]byte(":"))
	mac.Write(body)
	return mac.Sum(nil)
}

// parseTimestamp reads decimal Unix seconds. Only plain digits are taken:
// "+1531420618" or " 1531420618" would be signed as written yet parse to
// the same time, which would let a changed header pass the window check.
func parseTimestamp(s string) (time.Time, error) {
	if len(s) == 0 || len(s) > 12 {
		return time.Time{}, fmt.Errorf("%w: timestamp %q", ErrBadSignature, s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, fmt.Errorf("%w: timestamp %q", ErrBadSignature, s)
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp %q", ErrBadSignature, s)
	}
	return time.Unix(n, 0), nil
}

// compare checks got against prefix + lower-case hex of want, in time that
// depends only on the lengths.
func compare(got, prefix string, want []byte) error {
	expected := make([]byte, len(prefix)+hex.EncodedLen(len(want)))
	copy(expected, prefix)
	hex.Encode(expected[len(prefix):], want)
	if subtle.ConstantTimeCompare([]byte(got), expected) != 1 {
		return ErrBadSignature
	}
	return nil
}
