package webhook

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/internal/testfiles"
)

// vectors are the published test values in ../shared/fixtures.
type vectors struct {
	GitHub struct {
		Secret    string `json:"secret"`
		Payload   string `json:"payload"`
		Signature string `json:"signature"`
	} `json:"github_webhook_hmac_sha256"`
	Slack struct {
		Secret    string `json:"signing_secret"`
		Timestamp string `json:"timestamp"`
		Body      string `json:"body"`
		Signature string `json:"signature"`
		Window    int    `json:"replay_window_seconds"`
	} `json:"slack_request_signing_v0"`
}

func loadVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testfiles.Shared(t, "fixtures"), "signature-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("signature-vectors.json: %v", err)
	}
	return v
}

// flips returns every variant of s with one byte changed: each of its
// eight single-bit flips, and its complement.
func flips(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		for _, mask := range []byte{1, 2, 4, 8, 16, 32, 64, 128, 0xff} {
			b := []byte(s)
			b[i] ^= mask
			out = append(out, string(b))
		}
	}
	return out
}

func TestVerifyGitHubVector(t *testing.T) {
	v := loadVectors(t).GitHub
	secret, body := []byte(v.Secret), []byte(v.Payload)
	if err := VerifyGitHub(secret, body, v.Signature); err != nil {
		t.Fatalf("published vector refused: %v", err)
	}
	if got := SignGitHub(secret, body); got != v.Signature {
		t.Errorf("SignGitHub = %s, want %s", got, v.Signature)
	}
	for _, b := range flips(v.Payload) {
		if err := VerifyGitHub(secret, []byte(b), v.Signature); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("body %q accepted (err %v)", b, err)
		}
	}
	for _, sig := range flips(v.Signature) {
		if err := VerifyGitHub(secret, body, sig); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("signature %q accepted (err %v)", sig, err)
		}
	}
	for _, s := range flips(v.Secret) {
		if err := VerifyGitHub([]byte(s), body, v.Signature); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("secret %q accepted (err %v)", s, err)
		}
	}
}

func TestVerifyGitHubRefusals(t *testing.T) {
	v := loadVectors(t).GitHub
	secret, body := []byte(v.Secret), []byte(v.Payload)
	tests := []struct {
		name   string
		secret []byte
		header string
		want   error
	}{
		{"unsigned", secret, "", ErrUnsigned},
		{"no secret configured", nil, v.Signature, ErrNoSecret},
		{"sha1 header format", secret, "sha1=" + v.Signature[len("sha256="):], ErrBadSignature},
		{"bare hex", secret, v.Signature[len("sha256="):], ErrBadSignature},
		{"upper-case hex", secret, "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17", ErrBadSignature},
		{"truncated", secret, v.Signature[:len(v.Signature)-2], ErrBadSignature},
		{"extended", secret, v.Signature + "00", ErrBadSignature},
		{"trailing space", secret, v.Signature + " ", ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifyGitHub(tt.secret, body, tt.header); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyGitHubDeliveries signs the real deliveries of the fixtures and
// checks that one-byte changes of the body are refused: every byte of the
// first and last KiB (where the JSON framing is) and every 31st byte between.
// The published vector above is flipped exhaustively.
func TestVerifyGitHubDeliveries(t *testing.T) {
	dir := testfiles.Shared(t, "fixtures", "github-webhooks")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no deliveries in %s: %v", dir, err)
	}
	secret := []byte("webhook-test-secret")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sig := SignGitHub(secret, body)
			if err := VerifyGitHub(secret, body, sig); err != nil {
				t.Fatalf("own signature refused: %v", err)
			}
			b := append([]byte(nil), body...)
			for i := range b {
				if i >= 1024 && i < len(b)-1024 && i%31 != 0 {
					continue
				}
				b[i] ^= 1
				if VerifyGitHub(secret, b, sig) == nil {
					t.Fatalf("byte %d changed, still accepted", i)
				}
				b[i] ^= 1
			}
		})
	}
}

func TestVerifySlackVector(t *testing.T) {
	v := loadVectors(t).Slack
	secret, body := []byte(v.Secret), []byte(v.Body)
	ts, err := strconv.ParseInt(v.Timestamp, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(ts, 0)
	if err := VerifySlack(secret, body, v.Timestamp, v.Signature, at); err != nil {
		t.Fatalf("published vector refused: %v", err)
	}
	if got := SignSlack(secret, body, v.Timestamp); got != v.Signature {
		t.Errorf("SignSlack = %s, want %s", got, v.Signature)
	}
	for _, b := range flips(v.Body) {
		if err := VerifySlack(secret, []byte(b), v.Timestamp, v.Signature, at); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("body %q accepted (err %v)", b, err)
		}
	}
	for _, sig := range flips(v.Signature) {
		if err := VerifySlack(secret, body, v.Timestamp, sig, at); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("signature %q accepted (err %v)", sig, err)
		}
	}
	for _, tsf := range flips(v.Timestamp) {
		// A changed timestamp fails the signature, or the window when it
		// moved far: either way it is refused.
		if err := VerifySlack(secret, body, tsf, v.Signature, at); err == nil {
			t.Fatalf("timestamp %q accepted", tsf)
		}
	}
	// The same changes, judged at the changed timestamp's own time, so the
	// window cannot be what refuses them.
	for _, tsf := range flips(v.Timestamp) {
		n, err := strconv.ParseInt(tsf, 10, 64)
		if err != nil {
			continue
		}
		if err := VerifySlack(secret, body, tsf, v.Signature, time.Unix(n, 0)); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("timestamp %q accepted at its own time (err %v)", tsf, err)
		}
	}
}

func TestVerifySlackReplayWindow(t *testing.T) {
	v := loadVectors(t).Slack
	secret, body := []byte(v.Secret), []byte(v.Body)
	ts, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	if time.Duration(v.Window)*time.Second != SlackReplayWindow {
		t.Fatalf("vector window %ds, SlackReplayWindow %s", v.Window, SlackReplayWindow)
	}
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"same second", time.Unix(ts, 0), nil},
		{"window end", time.Unix(ts+300, 0), nil},
		{"window start (clock behind)", time.Unix(ts-300, 0), nil},
		{"one second late", time.Unix(ts+301, 0), ErrStale},
		{"one second early", time.Unix(ts-301, 0), ErrStale},
		{"real clock", time.Now(), ErrStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifySlack(secret, body, v.Timestamp, v.Signature, tt.now); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifySlackRefusals(t *testing.T) {
	v := loadVectors(t).Slack
	secret, body := []byte(v.Secret), []byte(v.Body)
	ts, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	at := time.Unix(ts, 0)
	tests := []struct {
		name           string
		secret         []byte
		timestamp, sig string
		want           error
	}{
		{"no signature", secret, v.Timestamp, "", ErrUnsigned},
		{"no timestamp", secret, "", v.Signature, ErrUnsigned},
		{"no secret configured", nil, v.Timestamp, v.Signature, ErrNoSecret},
		{"signed with a plus sign", secret, "+" + v.Timestamp, SignSlack(secret, body, "+"+v.Timestamp), ErrBadSignature},
		{"signed with a leading space", secret, " " + v.Timestamp, SignSlack(secret, body, " "+v.Timestamp), ErrBadSignature},
		{"not a number", secret, "yesterday", v.Signature, ErrBadSignature},
		{"v1 scheme", secret, v.Timestamp, "v1=" + v.Signature[3:], ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := VerifySlack(tt.secret, body, tt.timestamp, tt.sig, at); !errors.Is(err, tt.want) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
}

func BenchmarkVerifyGitHub(b *testing.B) {
	secret, body := []byte("secret"), make([]byte, 25<<10)
	sig := SignGitHub(secret, body)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := VerifyGitHub(secret, body, sig); err != nil {
			b.Fatal(err)
		}
	}
}
