// Package webhook verifies that an inbound delivery was signed by whom it
// claims: GitHub's X-Hub-Signature-256 (HMAC-SHA256 of the body) and
// Slack's v0 request signature (HMAC-SHA256 of "v0:<timestamp>:<body>"
// inside a replay window). Callers verify before they parse anything.
//
// The body is verified as it is read (ReadGitHub, ReadSlack): a request
// that cannot be genuine is refused after at most UnsignedLimit bytes, a
// well-formed one is hashed while it is buffered, up to its limit, and its
// MAC compared in constant time. Only "sha256=" (or "v0=") and 64
// lower-case hex digits is a signature, as both services send it, so a
// signature that differs from the expected one in any byte (case included)
// is refused.
//
// It is also the delivery vocabulary shared by the drivers and the
// service: every driver's ParseWebhook returns an Event, and Gitea's
// signature (ReadGitea) and GitLab's token (VerifyGitLab) are checked here
// too. Data enters as an
// http.Request's body and headers with the secret; it leaves as the
// verified body bytes (or an error saying why it was refused), then as an
// Event for the service to route.
package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
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
	// ErrTooLarge: a signed body longer than its limit. A handler answers
	// 413.
	ErrTooLarge = errors.New("request body too large")
)

// Limits on what is read of a request body.
const (
	// UnsignedLimit is the most that is read of a body whose request
	// cannot be genuine (unsigned, a malformed signature, a stale
	// timestamp) before it is refused. Nothing of it is kept.
	UnsignedLimit = 64 << 10
	// GitHubMaxPayload is GitHub's cap on webhook payloads (25 MB).
	GitHubMaxPayload = 25 << 20
)

// VerifyGitHub checks header, the value of X-Hub-Signature-256, against
// body and secret. See "Validating webhook deliveries" in GitHub's docs.
func VerifyGitHub(secret, body []byte, header string) error {
	_, err := ReadGitHub(bytes.NewReader(body), secret, header, int64(len(body)))
	return err
}

// ReadGitHub reads a delivery's body from r while it checks header, the
// value of X-Hub-Signature-256, and returns the body once the signature
// holds. A request that cannot be genuine (no secret, no header, a header
// that is not "sha256=" and 64 lower-case hex digits) is refused after at
// most UnsignedLimit bytes were read and discarded; a well-formed one is
// hashed as it is read, into a buffer of at most max bytes (ErrTooLarge
// beyond), and compared in constant time at the end.
func ReadGitHub(r io.Reader, secret []byte, header string, max int64) ([]byte, error) {
	return readSigned(r, secret, header, "sha256=", max)
}

// readSigned reads a body signed with the HMAC-SHA256 of its bytes, sent as
// prefix + lower-case hex in header: GitHub's and Gitea's deliveries. What
// cannot be a signature is refused after at most UnsignedLimit bytes; a
// well-formed one is hashed as the body is read, and compared in constant
// time at the end.
func readSigned(r io.Reader, secret []byte, header, prefix string, max int64) ([]byte, error) {
	if len(secret) == 0 {
		return nil, ErrNoSecret
	}
	if header == "" {
		return nil, refuse(r, ErrUnsigned)
	}
	want, ok := parseSignature(header, prefix)
	if !ok {
		return nil, refuse(r, ErrBadSignature)
	}
	return readVerified(r, secret, "", want, max)
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
// See ReadSlack.
func VerifySlack(secret, body []byte, timestamp, signature string, now time.Time) error {
	_, err := ReadSlack(bytes.NewReader(body), secret, timestamp, signature, now, int64(len(body)))
	return err
}

// ReadSlack reads a Slack request's body from r while it checks the v0
// signature over "v0:<timestamp>:<body>", and returns the body once the
// signature holds. A timestamp more than SlackReplayWindow from now is
// refused before anything is hashed, so an old signed request cannot be
// replayed; that and every other request that cannot be genuine is refused
// after at most UnsignedLimit bytes were read, as in ReadGitHub. See
// "Verifying requests from Slack" in Slack's docs.
func ReadSlack(r io.Reader, secret []byte, timestamp, signature string, now time.Time, max int64) ([]byte, error) {
	if len(secret) == 0 {
		return nil, ErrNoSecret
	}
	if signature == "" || timestamp == "" {
		return nil, refuse(r, ErrUnsigned)
	}
	ts, err := parseTimestamp(timestamp)
	if err != nil {
		return nil, refuse(r, err)
	}
	if d := now.Sub(ts); d > SlackReplayWindow || d < -SlackReplayWindow {
		return nil, refuse(r, ErrStale)
	}
	want, ok := parseSignature(signature, "v0=")
	if !ok {
		return nil, refuse(r, ErrBadSignature)
	}
	return readVerified(r, secret, "v0:"+timestamp+":", want, max)
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

// parseSignature decodes prefix + 64 lower-case hex digits, the only form
// GitHub and Slack send; anything else is no signature of theirs.
func parseSignature(header, prefix string) ([]byte, bool) {
	digits, ok := strings.CutPrefix(header, prefix)
	if !ok || len(digits) != hex.EncodedLen(sha256.Size) {
		return nil, false
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return nil, false
		}
	}
	sum, err := hex.DecodeString(digits)
	return sum, err == nil
}

// refuse reads and drops at most UnsignedLimit bytes of a body that will
// be refused, so that a small one is answered cleanly (a server closing a
// connection with unread data makes the client's TCP stack see a reset,
// not the 401), and returns err. The rest is never read: the caller closes
// the connection.
func refuse(r io.Reader, err error) error {
	_, _ = io.CopyN(io.Discard, r, UnsignedLimit)
	return err
}

// readVerified reads r to its end through the HMAC-SHA256 of secret over
// signed (what the sender signs ahead of the body) and the body, and
// returns the body once the MAC is want (compared in constant time).
func readVerified(r io.Reader, secret []byte, signed string, want []byte, max int64) ([]byte, error) {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signed))
	body, err := readHashed(r, mac, max)
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(mac.Sum(nil), want) {
		return nil, ErrBadSignature
	}
	return body, nil
}

// readHashed reads r to its end through mac, keeping at most max bytes.
// It reads into chunks that grow from 16 KiB to 1 MiB and joins them at the
// end: a buffer that doubles as it grows would allocate about three times
// the body, most of it garbage, for every large body read at once; chunks
// cost the body, and once more for the moment of the join.
func readHashed(r io.Reader, mac hash.Hash, max int64) ([]byte, error) {
	var chunks [][]byte
	var n int64
	for size := int64(16 << 10); ; size = min(2*size, 1<<20) {
		c := make([]byte, min(size, max+1-n))
		k, err := io.ReadFull(r, c)
		mac.Write(c[:k])
		chunks = append(chunks, c[:k])
		n += int64(k)
		switch {
		case n > max:
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			if len(chunks) == 1 {
				return chunks[0], nil
			}
			return bytes.Join(chunks, nil), nil
		case err != nil:
			return nil, fmt.Errorf("read body: %w", err)
		}
	}
}
