package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// stsVersion is the Version every STS Query request carries.
const stsVersion = "2011-06-15"

// Limits of AssumeRole's parameters (STS API reference, AssumeRole).
var (
	externalIDChars    = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
)

// session is a set of temporary credentials AssumeRole handed out.
type session struct {
	account string
	role    string
	expires time.Time
}

// sessions are the temporary credentials by access key ID.
type sessions struct {
	mu sync.Mutex
	m  map[string]session
}

func (s *sessions) get(akid string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[akid]
	return v, ok
}

func (s *sessions) add(akid string, v session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]session{}
	}
	s.m[akid] = v
}

// isSTSRequest tells an STS call by its signing service or its Version.
func isSTSRequest(r *http.Request, p query.Params) bool {
	switch signingService(r) {
	case "sts":
		return true
	case "":
		return p.String("Version") == stsVersion
	}
	return false
}

// stsAccessDenied is AWS's answer when the trust policy does not let the
// caller assume the role: the same for a missing role, an untrusted account
// and a wrong or missing external ID, so that a caller cannot probe which.
func stsAccessDenied(account, role string) *query.Error {
	return &query.Error{Status: http.StatusForbidden, Type: "Sender", Code: "AccessDenied",
		Message: fmt.Sprintf("User: arn:aws:iam::%s:user/tgc is not authorized to perform: sts:AssumeRole on resource: %s", account, role)}
}

func stsValidation(field, constraint, value string) *query.Error {
	return query.SenderError("ValidationError", fmt.Sprintf("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s", value, field, constraint))
}

// assumeRole answers sts:AssumeRole: it checks the parameters as STS
// validates them (an ExternalId shorter than 2 characters is a
// ValidationError, even an empty one), then the role's trust policy, and
// hands out temporary credentials whose key belongs to the role's account.
func (e *Emulator) assumeRole(p query.Params) (any, *query.Error) {
	account := caller(p)
	roleARN := p.String("RoleArn")
	if len(roleARN) < 20 || len(roleARN) > 2048 {
		return nil, stsValidation("roleArn", "Member must have length greater than or equal to 20", roleARN)
	}
	name := p.String("RoleSessionName")
	if !sessionNamePattern.MatchString(name) {
		return nil, stsValidation("roleSessionName", `Member must satisfy regular expression pattern: [\w+=,.@-]* and have length between 2 and 64`, name)
	}
	externalID, hasExternalID := p.String("ExternalId"), p.Has("ExternalId")
	if hasExternalID && !validExternalID(externalID) {
		if len(externalID) < 2 {
			return nil, stsValidation("externalId", "Member must have length greater than or equal to 2", externalID)
		}
		return nil, stsValidation("externalId", `Member must satisfy regular expression pattern: [\w+=,.@:/-]* and have length between 2 and 1224`, externalID)
	}
	duration := int64(3600)
	if v, ok, err := p.Int("DurationSeconds"); err != nil {
		return nil, paramError(err)
	} else if ok {
		if v < 900 || v > 43200 {
			return nil, stsValidation("durationSeconds", "Member must have value between 900 and 43200", strconv.FormatInt(v, 10))
		}
		duration = v
	}
	role, ok := e.book.role(roleARN)
	if !ok {
		return nil, stsAccessDenied(account, roleARN)
	}
	if !slices.Contains(role.TrustedAccounts, account) {
		return nil, stsAccessDenied(account, roleARN)
	}
	if role.ExternalID != "" && externalID != role.ExternalID {
		return nil, stsAccessDenied(account, roleARN)
	}
	expires := e.now().Add(time.Duration(duration) * time.Second).UTC().Truncate(time.Second)
	akid := "ASIA" + strings.ToUpper(randomHex(8))
	e.sessions.add(akid, session{account: roleAccount(roleARN), role: roleARN, expires: expires})
	roleName := roleARN[strings.LastIndex(roleARN, "/")+1:]
	return xmlAssumeRole{
		Credentials: xmlCredentials{
			AccessKeyID:     akid,
			SecretAccessKey: base64.StdEncoding.EncodeToString([]byte(randomHex(15))),
			SessionToken:    base64.StdEncoding.EncodeToString([]byte("tgc-emulator-session/" + akid + "/" + randomHex(16))),
			Expiration:      expires.Format(time.RFC3339),
		},
		AssumedRoleUser: xmlAssumedRoleUser{
			AssumedRoleID: "AROA" + strings.ToUpper(randomHex(8)) + ":" + name,
			Arn:           "arn:aws:sts::" + roleAccount(roleARN) + ":assumed-role/" + roleName + "/" + name,
		},
	}, nil
}

// validExternalID applies AssumeRole's ExternalId constraints: 2-1224
// characters of [\w+=,.@:/-].
func validExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDChars.MatchString(s)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type xmlAssumeRole struct {
	Credentials     xmlCredentials     `xml:"Credentials"`
	AssumedRoleUser xmlAssumedRoleUser `xml:"AssumedRoleUser"`
}

type xmlCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type xmlAssumedRoleUser struct {
	AssumedRoleID string `xml:"AssumedRoleId"`
	Arn           string `xml:"Arn"`
}

// serveSTS answers one STS call and returns the result for the call log.
// STS calls are neither throttled nor subject to injected faults, which
// model ELBv2.
func (e *Emulator) serveSTS(w http.ResponseWriter, p query.Params, reqID string) string {
	fail := func(qe *query.Error) string {
		query.WriteError(w, qe, reqID)
		return qe.Code
	}
	action := p.String("Action")
	if action != "AssumeRole" {
		return fail(query.SenderError("InvalidAction", fmt.Sprintf("Could not find operation %s for version %s; the emulator's STS answers AssumeRole only", action, p.String("Version"))))
	}
	result, qe := e.assumeRole(p)
	if qe != nil {
		return fail(qe)
	}
	body, err := query.EncodeResult(action, result, reqID)
	if err != nil {
		return fail(errInternal(err))
	}
	query.WriteResult(w, body, reqID)
	return "OK"
}
