package main

import (
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// options are the command's flags; config turns them into emulator.Config.
type options struct {
	listen  string
	vpcs    []string
	dialMap []string
	// instanceMap are the EC2 instances that exist, as ID=ADDRESS.
	instanceMap []string
	// lbAddresses is the loopback range load balancers take their own
	// address from; claimDir is where addresses are claimed machine-wide.
	lbAddresses string
	claimDir    string
	profile     string
	nlb         bool
	// propagation overrides the profile's DeregistrationPropagation when
	// propagationSet.
	propagation        time.Duration
	propagationSet     bool
	healthChecks       string
	maxTargetsPerGroup int
	throttle           bool
	region             string
	accountID          string
	// accounts, accountVPCs and roles declare further accounts and the
	// roles sts:AssumeRole can assume (accounts.go).
	accounts    []string
	accountVPCs []string
	roles       []string
	verbosity   int
	version     bool
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := pflag.NewFlagSet("elbv2-emulator", pflag.ContinueOnError)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:4566", "address to serve the ELBv2 API, /_emulator/ and /metrics on")
	fs.StringArrayVar(&o.vpcs, "vpc", nil, "VPC as ID=CIDR or ID=CIDR,IPV6CIDR (dual stack: IPv6 targets and dualstack load balancers need the IPv6 block), repeatable (default vpc-0a1b2c3d4e5f60718=10.244.0.0/16)")
	fs.StringArrayVar(&o.dialMap, "dial-map", nil, "map FROM=TO CIDRs before dialing targets, repeatable, e.g. 10.244.0.0/16=127.244.0.0/16; only loopback is ever dialed")
	fs.StringArrayVar(&o.instanceMap, "instance-map", nil, "an EC2 instance that exists, as ID=ADDRESS (the loopback address its node serves on), repeatable, e.g. i-0123456789abcdef0=127.0.10.1; RegisterTargets refuses instances not listed, and /_emulator/instances changes the list at run time")
	fs.StringVar(&o.lbAddresses, "lb-addresses", emulator.DefaultLoadBalancerAddresses.String(), "loopback range each load balancer takes an address of its own from; its listeners bind there, and its DNS name maps there (GET /_emulator/hosts)")
	fs.StringVar(&o.claimDir, "claim-dir", "", "directory where loopback addresses are claimed so that emulators on one machine never share one (default tgc-loopback-claims in the temporary directory)")
	fs.StringVar(&o.profile, "profile", "fast", "timing profile: fast or realistic")
	fs.BoolVar(&o.nlb, "nlb", false, "with --profile realistic, use network load balancer registration delays (minutes)")
	fs.DurationVar(&o.propagation, "deregistration-propagation", 0, "how long a deregistered target still receives new requests (default: the profile's, 0 for fast, 10s for realistic, 2m with --nlb)")
	fs.StringVar(&o.healthChecks, "health-checks", "real", "health checks: real (probe targets) or simulated")
	fs.IntVar(&o.maxTargetsPerGroup, "max-targets-per-group", 1000, "targets per target group quota")
	fs.BoolVar(&o.throttle, "throttle", true, "throttle API calls with AWS-like token buckets")
	fs.StringVar(&o.region, "region", "us-east-1", "region in ARNs")
	fs.StringVar(&o.accountID, "account-id", "123456789012", "account ID in ARNs")
	fs.StringArrayVar(&o.accounts, "account", nil, "a further account as ID=ACCESSKEY[,ACCESSKEY], repeatable; requests signed with those keys, or with sessions of its roles, see only its resources (every other key belongs to --account-id)")
	fs.StringArrayVar(&o.accountVPCs, "account-vpc", nil, "a VPC of a further account as ACCOUNT/ID=CIDR, repeatable, e.g. 111122223333/vpc-0b0b0b0b0b0b0b0b0=10.50.0.0/16")
	fs.StringArrayVar(&o.roles, "role", nil, "a role sts:AssumeRole can assume, as ROLE_ARN|TRUSTED_ACCOUNT[,ACCOUNT][|EXTERNAL_ID], repeatable; with EXTERNAL_ID the trust policy requires that sts:ExternalId")
	fs.IntVarP(&o.verbosity, "v", "v", 0, "log verbosity")
	fs.BoolVar(&o.version, "version", false, "print the version, commit and Go version, and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.propagationSet = fs.Changed("deregistration-propagation")
	return o, nil
}

func (o options) config() (emulator.Config, error) {
	cfg := emulator.Config{
		Region:             o.region,
		AccountID:          o.accountID,
		MaxTargetsPerGroup: o.maxTargetsPerGroup,
		HealthChecks:       emulator.HealthCheckMode(o.healthChecks),
		Throttle:           emulator.Throttle{Disabled: !o.throttle},
		Logger:             newLogger(o.verbosity),
		AddressClaimDir:    o.claimDir,
	}
	lbAddresses, err := netip.ParsePrefix(o.lbAddresses)
	if err != nil {
		return cfg, fmt.Errorf("--lb-addresses %q must be a CIDR, e.g. 127.0.100.0/24", o.lbAddresses)
	}
	cfg.LoadBalancerAddresses = lbAddresses
	profile, err := emulator.ProfileByName(o.profile, o.nlb)
	if err != nil {
		return cfg, err
	}
	if o.propagationSet {
		if o.propagation < 0 {
			return cfg, fmt.Errorf("--deregistration-propagation %s must not be negative", o.propagation)
		}
		profile.DeregistrationPropagation = o.propagation
	}
	cfg.Profile = profile
	for _, v := range o.vpcs {
		vpc, err := parseVPC(v)
		if err != nil {
			return cfg, err
		}
		cfg.VPCs = append(cfg.VPCs, vpc)
	}
	for _, m := range o.dialMap {
		from, to, ok := strings.Cut(m, "=")
		fromP, errFrom := netip.ParsePrefix(from)
		toP, errTo := netip.ParsePrefix(to)
		if !ok || errFrom != nil || errTo != nil {
			return cfg, fmt.Errorf("--dial-map %q must be FROM=TO CIDRs, e.g. 10.244.0.0/16=127.244.0.0/16", m)
		}
		cfg.DialMap = append(cfg.DialMap, emulator.DialMapping{From: fromP, To: toP})
	}
	for _, m := range o.instanceMap {
		id, a, ok := strings.Cut(m, "=")
		addr, err := netip.ParseAddr(a)
		if !ok || err != nil {
			return cfg, fmt.Errorf("--instance-map %q must be ID=ADDRESS, e.g. i-0123456789abcdef0=127.0.10.1", m)
		}
		if cfg.Instances == nil {
			cfg.Instances = map[string]netip.Addr{}
		}
		cfg.Instances[id] = addr
	}
	return o.accountsConfig(cfg)
}

// accountsConfig adds the further accounts, their VPCs and the roles.
func (o options) accountsConfig(cfg emulator.Config) (emulator.Config, error) {
	index := map[string]int{}
	for _, a := range o.accounts {
		id, keys, ok := strings.Cut(a, "=")
		if !ok || id == "" || keys == "" {
			return cfg, fmt.Errorf("--account %q must be ID=ACCESSKEY[,ACCESSKEY], e.g. 111122223333=AKIANETWORK", a)
		}
		index[id] = len(cfg.Accounts)
		cfg.Accounts = append(cfg.Accounts, emulator.Account{ID: id, AccessKeys: strings.Split(keys, ",")})
	}
	for _, v := range o.accountVPCs {
		account, rest, ok1 := strings.Cut(v, "/")
		id, cidr, ok2 := strings.Cut(rest, "=")
		prefix, err := netip.ParsePrefix(cidr)
		i, known := index[account]
		if !ok1 || !ok2 || err != nil || !known {
			return cfg, fmt.Errorf("--account-vpc %q must be ACCOUNT/ID=CIDR for an account given with --account, e.g. 111122223333/vpc-0b0b0b0b0b0b0b0b0=10.50.0.0/16", v)
		}
		cfg.Accounts[i].VPCs = append(cfg.Accounts[i].VPCs, emulator.VPC{ID: id, CIDR: prefix})
	}
	for _, r := range o.roles {
		parts := strings.Split(r, "|")
		if len(parts) < 2 || len(parts) > 3 || parts[1] == "" {
			return cfg, fmt.Errorf("--role %q must be ROLE_ARN|TRUSTED_ACCOUNT[,ACCOUNT][|EXTERNAL_ID]", r)
		}
		role := emulator.Role{ARN: parts[0], TrustedAccounts: strings.Split(parts[1], ",")}
		if len(parts) == 3 {
			role.ExternalID = parts[2]
		}
		cfg.Roles = append(cfg.Roles, role)
	}
	return cfg, nil
}

func newLogger(verbosity int) logr.Logger {
	return funcr.New(func(prefix, args string) {
		fmt.Fprintln(os.Stderr, prefix, args)
	}, funcr.Options{Verbosity: verbosity})
}

// parseVPC reads --vpc ID=CIDR[,IPV6CIDR]; the IPv6 block is optional, as
// a VPC's is in AWS.
func parseVPC(v string) (emulator.VPC, error) {
	bad := fmt.Errorf("--vpc %q must be ID=CIDR or ID=CIDR,IPV6CIDR, e.g. vpc-0a1b2c3d=10.244.0.0/16,fd00:10:244::/56", v)
	id, cidrs, ok := strings.Cut(v, "=")
	if !ok {
		return emulator.VPC{}, bad
	}
	v4, v6, dual := strings.Cut(cidrs, ",")
	vpc := emulator.VPC{ID: id}
	var err error
	if vpc.CIDR, err = netip.ParsePrefix(v4); err != nil {
		return emulator.VPC{}, bad
	}
	if dual {
		if vpc.IPv6CIDR, err = netip.ParsePrefix(v6); err != nil {
			return emulator.VPC{}, bad
		}
	}
	return vpc, nil
}
