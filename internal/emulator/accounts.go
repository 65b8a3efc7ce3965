package emulator

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// Account is an AWS account besides the default one (Config.AccountID).
// Requests signed with one of its access keys, or with a session of one of
// its roles, see its target groups and VPCs only. Every access key no
// account lists belongs to the default account, so that a single-account
// emulator accepts any credentials, as it always did.
type Account struct {
	ID         string
	AccessKeys []string
	VPCs       []VPC
}

// Role is an IAM role that sts:AssumeRole can assume, with its trust
// policy: the accounts whose principals may assume it and, optionally, the
// sts:ExternalId condition.
type Role struct {
	// ARN is arn:aws:iam::ACCOUNT:role/NAME; sessions of the role belong to
	// ACCOUNT.
	ARN string
	// TrustedAccounts are the account IDs whose credentials may assume the
	// role (the Principal of the trust policy).
	TrustedAccounts []string
	// ExternalID, when set, is the only sts:ExternalId the trust policy
	// accepts (a StringEquals condition); empty means no condition, so any
	// external ID, or none, is accepted.
	ExternalID string
}

// roleARNPattern is an IAM role ARN, with an optional path.
var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$`)

// roleAccount is the account in a role ARN, empty when arn is no role ARN.
func roleAccount(arn string) string {
	m := roleARNPattern.FindStringSubmatch(arn)
	if m == nil {
		return ""
	}
	return m[1]
}

// validateAccounts checks the accounts and roles against each other and
// the default account.
func validateAccounts(defaultAccount string, accounts []Account, roles []Role) error {
	known := map[string]bool{defaultAccount: true}
	keys := map[string]string{}
	for _, a := range accounts {
		if !accountPattern.MatchString(a.ID) {
			return fmt.Errorf("account ID %q must be 12 digits", a.ID)
		}
		if known[a.ID] {
			return fmt.Errorf("account %s is declared twice", a.ID)
		}
		known[a.ID] = true
		if len(a.AccessKeys) == 0 {
			return fmt.Errorf("account %s needs at least one access key", a.ID)
		}
		for _, k := range a.AccessKeys {
			if prev, dup := keys[k]; dup {
				return fmt.Errorf("access key %s belongs to both %s and %s", k, prev, a.ID)
			}
			keys[k] = a.ID
		}
		for _, v := range a.VPCs {
			if !vpcIDPattern.MatchString(v.ID) || !v.CIDR.IsValid() {
				return fmt.Errorf("account %s: VPC %s needs an ID like vpc-0123456789abcdef0 and a CIDR", a.ID, v.ID)
			}
		}
	}
	for _, r := range roles {
		acct := roleAccount(r.ARN)
		if acct == "" {
			return fmt.Errorf("role %q must be an ARN like arn:aws:iam::111122223333:role/name", r.ARN)
		}
		if !known[acct] {
			return fmt.Errorf("role %s belongs to account %s, which is not declared", r.ARN, acct)
		}
		if r.ExternalID != "" && !validExternalID(r.ExternalID) {
			return fmt.Errorf("role %s: external ID %q must be 2-1224 characters of [\\w+=,.@:/-]", r.ARN, r.ExternalID)
		}
	}
	return nil
}

// callerAccountParam carries the caller's account from serveAPI to the
// handlers, which read only the request parameters. Its name has a space,
// which no AWS parameter has; serveAPI drops any value a client sent.
const callerAccountParam = "tgc emulator account"

// accessKeyID reads the access key of the SigV4 credential scope.
func accessKeyID(r *http.Request) string {
	if scope := credentialScope(r); scope != nil {
		return scope[0]
	}
	return ""
}

// callerAccount is the account the request's access key belongs to: a
// declared account's key, a session AssumeRole handed out, or else the
// default account. A session past its expiry gets ExpiredToken, as AWS
// answers.
func (e *Emulator) callerAccount(r *http.Request) (string, *query.Error) {
	akid := accessKeyID(r)
	if account, ok := e.book.accountOfKey(akid); ok {
		return account, nil
	}
	if s, ok := e.sessions.get(akid); ok {
		if !e.now().Before(s.expires) {
			return "", &query.Error{Status: http.StatusBadRequest, Type: "Sender", Code: "ExpiredToken", Message: "The security token included in the request is expired"}
		}
		return s.account, nil
	}
	return e.cfg.AccountID, nil
}

// caller is the account serveAPI found for the request.
func caller(p query.Params) string { return p.String(callerAccountParam) }

// vpcsOf are the VPCs of an account.
func (e *Emulator) vpcsOf(account string) []VPC {
	if account == "" || account == e.cfg.AccountID {
		return e.cfg.VPCs
	}
	return e.book.vpcsOf(account)
}

// book holds the further accounts and the roles; the control API can
// replace them at run time.
type book struct {
	mu       sync.RWMutex
	accounts []Account
	roles    []Role
}

// set replaces the accounts and roles.
func (b *book) set(accounts []Account, roles []Role) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.accounts, b.roles = slices.Clone(accounts), slices.Clone(roles)
}

// get returns the accounts and roles.
func (b *book) get() ([]Account, []Role) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return slices.Clone(b.accounts), slices.Clone(b.roles)
}

func (b *book) accountOfKey(akid string) (string, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, a := range b.accounts {
		if slices.Contains(a.AccessKeys, akid) {
			return a.ID, true
		}
	}
	return "", false
}

func (b *book) vpcsOf(account string) []VPC {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, a := range b.accounts {
		if a.ID == account {
			return a.VPCs
		}
	}
	return nil
}

// vpc finds a VPC of any further account.
func (b *book) vpc(id string) (VPC, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, a := range b.accounts {
		for _, v := range a.VPCs {
			if v.ID == id {
				return v, true
			}
		}
	}
	return VPC{}, false
}

func (b *book) role(arn string) (Role, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	i := slices.IndexFunc(b.roles, func(r Role) bool { return r.ARN == arn })
	if i < 0 {
		return Role{}, false
	}
	return b.roles[i], true
}

// SetAccounts replaces the further accounts and the roles, as Config's
// Accounts and Roles; resources of accounts no longer listed stay, and
// sessions already handed out keep their account until they expire.
func (e *Emulator) SetAccounts(accounts []Account, roles []Role) error {
	if err := validateAccounts(e.cfg.AccountID, accounts, roles); err != nil {
		return err
	}
	e.book.set(accounts, roles)
	return nil
}

// Accounts returns the further accounts and the roles in force.
func (e *Emulator) Accounts() ([]Account, []Role) { return e.book.get() }

// arnAccount is the account field of an ARN, empty when s is no ARN.
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// arnParams are the parameters of ELBv2 actions that name a resource by ARN.
var arnParams = []string{"TargetGroupArn", "LoadBalancerArn", "ListenerArn"}

// arnListParams are the list parameters that name resources by ARN.
var arnListParams = []string{"TargetGroupArns", "LoadBalancerArns", "ListenerArns", "ResourceArns"}

// foreignResource refuses a request naming a resource of another account
// with the error AWS gives for a resource that does not exist: without a
// resource policy, ELBv2 resources are invisible to other accounts.
func foreignResource(p query.Params, account string) *query.Error {
	check := func(arn string) *query.Error {
		owner := arnAccount(arn)
		if owner == "" || owner == account {
			return nil
		}
		switch {
		case strings.Contains(arn, ":targetgroup/"):
			return errTargetGroupNotFound("Target groups '%s' not found", arn)
		case strings.Contains(arn, ":loadbalancer/"):
			return errLoadBalancerNotFound("Load balancers '%s' not found", arn)
		case strings.Contains(arn, ":listener/"):
			return errListenerNotFound("Listeners '%s' not found", arn)
		}
		return errValidation("'%s' is not found in account %s", arn, account)
	}
	for _, k := range arnParams {
		if qe := check(p.String(k)); qe != nil {
			return qe
		}
	}
	for _, k := range arnListParams {
		for _, arn := range p.List(k) {
			if qe := check(arn); qe != nil {
				return qe
			}
		}
	}
	return nil
}
