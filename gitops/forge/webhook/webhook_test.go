package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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

// countingReader is a body of n bytes that is never held in memory; read
// counts what was taken of it.
type countingReader struct {
	n, read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, io.EOF
	}
	if rest := c.n - c.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	for i := range p {
		p[i] = '{'
	}
	c.read += int64(len(p))
	return len(p), nil
}

// TestUnsignedBodiesAreCutShort sends 24 MB bodies that cannot be genuine:
// each is refused after at most UnsignedLimit bytes were read.
func TestUnsignedBodiesAreCutShort(t *testing.T) {
	const size = 24 << 20
	secret := []byte("webhook-test-secret")
	now := time.Unix(1531420618, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	wellFormed := "v0=" + strings.Repeat("0", 64)
	tests := []struct {
		name string
		read func(r io.Reader) error
		want error
	}{
		{"github unsigned", func(r io.Reader) error {
			_, err := ReadGitHub(r, secret, "", GitHubMaxPayload)
			return err
		}, ErrUnsigned},
		{"github sha1", func(r io.Reader) error {
			_, err := ReadGitHub(r, secret, "sha1="+strings.Repeat("0", 40), GitHubMaxPayload)
			return err
		}, ErrBadSignature},
		{"github upper-case hex", func(r io.Reader) error {
			_, err := ReadGitHub(r, secret, "sha256="+strings.Repeat("A", 64), GitHubMaxPayload)
			return err
		}, ErrBadSignature},
		{"slack unsigned", func(r io.Reader) error {
			_, err := ReadSlack(r, secret, ts, "", now, GitHubMaxPayload)
			return err
		}, ErrUnsigned},
		{"slack stale", func(r io.Reader) error {
			_, err := ReadSlack(r, secret, ts, wellFormed, now.Add(time.Hour), GitHubMaxPayload)
			return err
		}, ErrStale},
		{"slack bad timestamp", func(r io.Reader) error {
			_, err := ReadSlack(r, secret, "+"+ts, wellFormed, now, GitHubMaxPayload)
			return err
		}, ErrBadSignature},
		{"slack v1", func(r io.Reader) error {
			_, err := ReadSlack(r, secret, ts, "v1="+strings.Repeat("0", 64), now, GitHubMaxPayload)
			return err
		}, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := &countingReader{n: size}
			if err := tt.read(body); !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if body.read > UnsignedLimit {
				t.Errorf("read %d bytes of a refused body, limit %d", body.read, UnsignedLimit)
			}
		})
	}
}

// TestSignedBodiesHaveALimit reads a well-formed but wrong signature to the
// end (only then is it known to be wrong) and no further than the limit.
func TestSignedBodiesHaveALimit(t *testing.T) {
	secret := []byte("webhook-test-secret")
	fake := "sha256=" + strings.Repeat("0", 64)
	body := &countingReader{n: 3 << 20}
	if _, err := ReadGitHub(body, secret, fake, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	if body.read > 1<<20+1 {
		t.Errorf("read %d bytes past a limit of %d", body.read, 1<<20)
	}
	body = &countingReader{n: 1 << 20}
	if _, err := ReadGitHub(body, secret, fake, 1<<20); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("err %v, want ErrBadSignature", err)
	}
	// A genuine delivery of exactly the limit passes, and is returned whole.
	payload := bytes.Repeat([]byte("{"), 1<<20)
	got, err := ReadGitHub(bytes.NewReader(payload), secret, SignGitHub(secret, payload), int64(len(payload)))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("genuine delivery: %d bytes, err %v", len(got), err)
	}
	// Slack's published vector, through the reader.
	v := loadVectors(t).Slack
	ts, _ := strconv.ParseInt(v.Timestamp, 10, 64)
	got, err = ReadSlack(strings.NewReader(v.Body), []byte(v.Secret), v.Timestamp, v.Signature, time.Unix(ts, 0), int64(len(v.Body)))
	if err != nil || string(got) != v.Body {
		t.Fatalf("Slack vector: %q, err %v", got, err)
	}
	if _, err := ReadSlack(strings.NewReader(v.Body+"x"), []byte(v.Secret), v.Timestamp, v.Signature, time.Unix(ts, 0), int64(len(v.Body))); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Slack body past its limit: err %v", err)
	}
}

// TestConcurrentUnsignedBodies sends 60 unsigned 24 MB bodies at once: the
// bytes read of all of them together stay within 60 × UnsignedLimit, so
// nothing of the 1.4 GB is buffered.
func TestConcurrentUnsignedBodies(t *testing.T) {
	const n, size = 60, 24 << 20
	secret := []byte("webhook-test-secret")
	bodies := make([]*countingReader, n)
	var wg sync.WaitGroup
	for i := range bodies {
		bodies[i] = &countingReader{n: size}
		wg.Add(1)
		go func(r *countingReader) {
			defer wg.Done()
			if _, err := ReadGitHub(r, secret, "", GitHubMaxPayload); !errors.Is(err, ErrUnsigned) {
				t.Errorf("err %v", err)
			}
		}(bodies[i])
	}
	wg.Wait()
	var total int64
	for _, b := range bodies {
		total += b.read
	}
	if total > n*UnsignedLimit {
		t.Errorf("%d bytes read of %d refused bodies, want at most %d", total, n, n*UnsignedLimit)
	}
	t.Logf("%d unsigned bodies of %d MB: %d KiB read in all", n, size>>20, total>>10)
}
