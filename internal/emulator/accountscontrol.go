package emulator

import (
	"net/http"
	"net/netip"
)

// accountsJSON is the body of GET/PUT /_emulator/accounts.
type accountsJSON struct {
	Accounts []accountJSON `json:"accounts"`
	Roles    []roleJSON    `json:"roles"`
}

type accountJSON struct {
	ID         string    `json:"id"`
	AccessKeys []string  `json:"accessKeys"`
	VPCs       []vpcJSON `json:"vpcs,omitempty"`
}

type vpcJSON struct {
	ID   string       `json:"id"`
	CIDR netip.Prefix `json:"cidr"`
}

type roleJSON struct {
	ARN             string   `json:"arn"`
	TrustedAccounts []string `json:"trustedAccounts"`
	ExternalID      string   `json:"externalId,omitempty"`
}

func toAccountsJSON(accounts []Account, roles []Role) accountsJSON {
	out := accountsJSON{Accounts: []accountJSON{}, Roles: []roleJSON{}}
	for _, a := range accounts {
		aj := accountJSON{ID: a.ID, AccessKeys: a.AccessKeys}
		for _, v := range a.VPCs {
			aj.VPCs = append(aj.VPCs, vpcJSON{ID: v.ID, CIDR: v.CIDR})
		}
		out.Accounts = append(out.Accounts, aj)
	}
	for _, r := range roles {
		out.Roles = append(out.Roles, roleJSON(r))
	}
	return out
}

func (j accountsJSON) config() ([]Account, []Role) {
	var accounts []Account
	for _, a := range j.Accounts {
		acct := Account{ID: a.ID, AccessKeys: a.AccessKeys}
		for _, v := range a.VPCs {
			acct.VPCs = append(acct.VPCs, VPC{ID: v.ID, CIDR: v.CIDR})
		}
		accounts = append(accounts, acct)
	}
	var roles []Role
	for _, r := range j.Roles {
		roles = append(roles, Role(r))
	}
	return accounts, roles
}

// accountRoutes serves GET/PUT /_emulator/accounts: the further accounts
// and the roles, replaced as a whole by a PUT.
func (e *Emulator) accountRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_emulator/accounts", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, toAccountsJSON(e.Accounts()))
	})
	mux.HandleFunc("PUT /_emulator/accounts", func(w http.ResponseWriter, r *http.Request) {
		var body accountsJSON
		if !readJSON(w, r, &body) {
			return
		}
		if err := e.SetAccounts(body.config()); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, toAccountsJSON(e.Accounts()))
	})
}
