package serviceconfig

import (
	"errors"
	"fmt"
)

// EnvPostureToken holds the posture page's bearer token when the config
// does not name one.
const EnvPostureToken = "REMEDY_POSTURE_TOKEN"

// MinPostureToken is the shortest bearer token the posture page takes: it
// guards the whole fleet's findings, so a guessable one is refused.
const MinPostureToken = 16

// Posture configures the fleet posture page (/, /repos/…, /api/v1/posture).
// It is never public: it is served only with a bearer token, given by
// reference, and otherwise answers 404.
type Posture struct {
	// Enabled false turns the page off; omitted means on when a token is
	// found.
	Enabled *bool `yaml:"enabled"`
	// Token is the bearer token readers send (Authorization: Bearer …);
	// nil means REMEDY_POSTURE_TOKEN, and the page is off when it is
	// unset. A token named here that cannot be read stops the server.
	Token *Secret `yaml:"token"`
}

// checkPosture validates the posture section.
func (c *Config) checkPosture() error {
	p := c.Posture
	if p.Enabled != nil && !*p.Enabled && p.Token != nil {
		return errors.New("posture: enabled is false and a token is set: remove one")
	}
	return nil
}

// resolvePosture reads the posture page's token into s: nothing when the
// page is turned off or no token is found where none was named.
func (c *Config) resolvePosture(getenv func(string) string, s *Secrets) error {
	p := c.Posture
	if p.Enabled != nil && !*p.Enabled {
		return nil
	}
	ref, named := p.Token, p.Token != nil || p.Enabled != nil
	if ref == nil {
		ref = &Secret{Env: EnvPostureToken}
	}
	tok, err := ref.Resolve(getenv)
	switch {
	case err != nil && named:
		return fmt.Errorf("posture.token: %w", err)
	case err != nil:
		return nil
	case len(tok) < MinPostureToken:
		return fmt.Errorf("posture.token: %d characters, want at least %d (a random one: openssl rand -hex 32)", len(tok), MinPostureToken)
	}
	s.PostureToken = tok
	return nil
}

// PostureState says how the posture page is served with s: "on, …" with
// where its token comes from, or why it is off. It shows no secret.
func (c *Config) PostureState(s Secrets) (on bool, state string) {
	p := c.Posture
	switch {
	case p.Enabled != nil && !*p.Enabled:
		return false, "off (posture.enabled: false)"
	case len(s.PostureToken) == 0:
		return false, "off (no token: set posture.token to {env: NAME} or {file: PATH}, or $" + EnvPostureToken + ")"
	case p.Token != nil && p.Token.File != "":
		return true, "on, bearer token in " + p.Token.File
	case p.Token != nil:
		return true, "on, bearer token in $" + p.Token.Env
	}
	return true, "on, bearer token in $" + EnvPostureToken
}
