package webhook

import (
	"errors"
	"strings"
	"testing"
)

func TestVerifyGitea(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"action":"created"}`)
	good := SignGitea(secret, body)
	for _, tc := range []struct {
		name, header string
		secret       []byte
		want         error
	}{
		{"good", good, secret, nil},
		{"unsigned", "", secret, ErrUnsigned},
		{"upper case", strings.ToUpper(good), secret, ErrBadSignature},
		{"github prefix", "sha256=" + good, secret, ErrBadSignature},
		{"other secret", good, []byte("other"), ErrBadSignature},
		{"no secret", good, nil, ErrNoSecret},
	} {
		if err := VerifyGitea(tc.secret, body, tc.header); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := VerifyGitea(secret, append(body, ' '), good); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed body: %v", err)
	}
}

func TestVerifyGitLab(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		secret       []byte
		want         error
	}{
		{"good", "tok3n", []byte("tok3n"), nil},
		{"unsigned", "", []byte("tok3n"), ErrUnsigned},
		{"prefix", "tok3", []byte("tok3n"), ErrBadSignature},
		{"longer", "tok3n ", []byte("tok3n"), ErrBadSignature},
		{"no secret", "tok3n", nil, ErrNoSecret},
	} {
		if err := VerifyGitLab(tc.secret, tc.header); !errors.Is(err, tc.want) && (err != nil || tc.want != nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestZeroSHA(t *testing.T) {
	for after, want := range map[string]bool{
		"0000000000000000000000000000000000000000":                         true,
		"0000000000000000000000000000000000000000000000000000000000000000": true, // SHA-256 repositories
		"": false, "a1b2c3": false, "1000000000000000000000000000000000000000": false,
	} {
		if got := ZeroSHA(after); got != want {
			t.Errorf("ZeroSHA(%q) = %v, want %v", after, got, want)
		}
	}
}
