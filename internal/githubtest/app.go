package githubtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"
)

// AddApp registers a GitHub App: API requests with "Authorization: Bearer
// <JWT>" are accepted when the JWT is RS256, its iss is appID, its signature
// verifies against pub, and exp is in the future but at most 10 minutes
// ahead. The app's slug is "app-<appID>", its installations act as
// "app-<appID>[bot]".
func (s *Server) AddApp(appID int64, pub *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[appID] = &app{id: appID, slug: "app-" + itoa64(appID), key: pub}
}

// AddInstallation installs app appID on account (a repository owner); its
// installation tokens, minted with POST /app/installations/{id}/access_tokens,
// can access all of account's repositories.
func (s *Server) AddInstallation(appID, installationID int64, account string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.apps[appID] == nil {
		s.t.Fatalf("githubtest: AddInstallation: unknown app %d", appID)
	}
	s.insts[installationID] = &installation{id: installationID, appID: appID, account: account}
}

func (s *Server) verifyJWT(tok string) (*identity, string) {
	const undecodable = "A JSON web token could not be decoded"
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, undecodable
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat json.Number     `json:"iat"`
		Exp json.Number     `json:"exp"`
	}
	hb, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	pb, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(hb, &hdr) != nil || json.Unmarshal(pb, &claims) != nil || hdr.Alg != "RS256" {
		return nil, undecodable
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	appID, err := strconv.ParseInt(iss, 10, 64)
	a := s.apps[appID]
	if err != nil || a == nil {
		return nil, "Integration not found"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(a.key, crypto.SHA256, digest[:], sig) != nil {
		return nil, undecodable
	}
	exp, err1 := claims.Exp.Float64()
	iat, err2 := claims.Iat.Float64()
	n := float64(time.Now().Unix())
	switch {
	case err1 != nil || exp <= n:
		return nil, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case exp > n+600+30:
		return nil, "'Expiration time' claim ('exp') is too far in the future"
	case err2 != nil || iat > n+60:
		return nil, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"
	}
	return &identity{login: a.slug + "[bot]", kind: identApp, appID: appID, bucket: "app/" + itoa64(appID)}, ""
}

func (s *Server) appJSON(a *app) *github.App {
	if a == nil {
		return nil
	}
	return &github.App{
		ID:      github.Ptr(a.id),
		Slug:    github.Ptr(a.slug),
		Name:    github.Ptr(a.slug),
		HTMLURL: github.Ptr(s.URL + "/apps/" + a.slug),
	}
}

func (s *Server) installationJSON(in *installation) *github.Installation {
	a := s.apps[in.appID]
	target := "Organization"
	if s.isUserLogin(in.account) {
		target = "User"
	}
	return &github.Installation{
		ID:                  github.Ptr(in.id),
		AppID:               github.Ptr(in.appID),
		AppSlug:             github.Ptr(a.slug),
		TargetID:            github.Ptr(s.userID(in.account)),
		TargetType:          github.Ptr(target),
		Account:             s.ownerUser(in.account),
		AccessTokensURL:     github.Ptr(s.APIURL() + "app/installations/" + itoa64(in.id) + "/access_tokens"),
		RepositoriesURL:     github.Ptr(s.APIURL() + "installation/repositories"),
		RepositorySelection: github.Ptr("all"),
	}
}

func (c *call) requireApp() bool {
	if c.id.kind != identApp {
		return c.refuse("needs an app JWT → 401", http.StatusUnauthorized, "A JSON web token could not be decoded")
	}
	return true
}

func (c *call) installation() *installation {
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	in := c.s.insts[id]
	if in == nil || in.appID != c.id.appID {
		c.notFound()
		return nil
	}
	return in
}

func (s *Server) getApp(c *call) {
	if c.requireApp() {
		c.json(http.StatusOK, s.appJSON(s.apps[c.id.appID]))
	}
}

func (s *Server) getInstallation(c *call) {
	if !c.requireApp() {
		return
	}
	if in := c.installation(); in != nil {
		c.json(http.StatusOK, s.installationJSON(in))
	}
}

func (s *Server) createInstallationToken(c *call) {
	if !c.requireApp() {
		return
	}
	in := c.installation()
	if in == nil {
		return
	}
	a := s.apps[in.appID]
	tok := "ghs_" + rand.Text()
	expires := time.Now().Add(s.tokenTTL).UTC().Truncate(time.Second)
	s.tokens[tok] = &identity{
		token: tok, login: a.slug + "[bot]", kind: identInstallation,
		appID: in.appID, instID: in.id, account: in.account, expires: expires,
		bucket: "installation/" + itoa64(in.id),
	}
	c.json(http.StatusCreated, &github.InstallationToken{
		Token:     github.Ptr(tok),
		ExpiresAt: ts(expires),
		Permissions: &github.InstallationPermissions{
			Contents:     github.Ptr("write"),
			PullRequests: github.Ptr("write"),
			Issues:       github.Ptr("write"),
			Checks:       github.Ptr("write"),
			Statuses:     github.Ptr("write"),
			Metadata:     github.Ptr("read"),
		},
	})
}

// findInstallation serves GET /repos/{owner}/{repo}/installation,
// /orgs/{owner}/installation and /users/{owner}/installation.
func (s *Server) findInstallation(c *call) {
	if !c.requireApp() {
		return
	}
	owner := c.r.PathValue("owner")
	if repo := c.r.PathValue("repo"); repo != "" && s.repos[strings.ToLower(owner+"/"+repo)] == nil {
		c.notFound()
		return
	}
	for _, in := range s.insts {
		if in.appID == c.id.appID && strings.EqualFold(in.account, owner) {
			c.json(http.StatusOK, s.installationJSON(in))
			return
		}
	}
	c.notFound()
}

func (s *Server) listInstallationRepos(c *call) {
	if c.id.kind != identInstallation {
		c.fail(http.StatusForbidden, "This endpoint can only be accessed with an installation access token")
		return
	}
	repos := s.visibleRepos(c, func(*repoState) bool { return true })
	c.json(http.StatusOK, &github.ListRepositories{TotalCount: github.Ptr(len(repos)), Repositories: paginate(c, repos)})
}
