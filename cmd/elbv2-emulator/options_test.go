package main

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

func TestOptionsBecomeConfig(t *testing.T) {
	o, err := parseOptions([]string{
		"--vpc", "vpc-0123456789abcdef0=10.244.0.0/16", "--vpc", "vpc-0fedcba9=10.96.0.0/12,fd00:10:96::/56",
		"--dial-map", "10.244.0.0/16=127.244.0.0/16", "--dial-map", "fd00:10:244::/112=127.244.0.0/16", "--profile", "realistic", "--nlb",
		"--health-checks", "simulated", "--max-targets-per-group", "50", "--throttle=false",
		"--instance-map", "i-0123456789abcdef0=127.0.10.1", "--instance-map", "i-0123abcd=127.0.10.2",
		"--lb-addresses", "127.0.101.0/24",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.VPCs) != 2 || cfg.VPCs[1].CIDR != netip.MustParsePrefix("10.96.0.0/12") ||
		cfg.VPCs[1].IPv6CIDR != netip.MustParsePrefix("fd00:10:96::/56") || cfg.VPCs[0].IPv6CIDR.IsValid() {
		t.Errorf("VPCs = %+v, want the second one dual stack", cfg.VPCs)
	}
	if len(cfg.DialMap) != 2 || cfg.DialMap[0].To != netip.MustParsePrefix("127.244.0.0/16") || cfg.DialMap[1].From != netip.MustParsePrefix("fd00:10:244::/112") {
		t.Errorf("DialMap = %+v", cfg.DialMap)
	}
	if cfg.Profile != emulator.RealisticProfile(true) || cfg.HealthChecks != emulator.HealthChecksSimulated ||
		cfg.MaxTargetsPerGroup != 50 || !cfg.Throttle.Disabled {
		t.Errorf("config = %+v", cfg)
	}
	if len(cfg.Instances) != 2 || cfg.Instances["i-0123abcd"] != netip.MustParseAddr("127.0.10.2") {
		t.Errorf("Instances = %v", cfg.Instances)
	}
	if cfg.LoadBalancerAddresses != netip.MustParsePrefix("127.0.101.0/24") {
		t.Errorf("LoadBalancerAddresses = %s", cfg.LoadBalancerAddresses)
	}
	if _, err := emulator.New(cfg); err != nil {
		t.Errorf("emulator rejects the config: %v", err)
	}
}

func TestDeregistrationPropagationFlagOverridesTheProfile(t *testing.T) {
	cases := map[string]struct {
		args []string
		want time.Duration
	}{
		"fast profile routes nothing after deregistration": {nil, 0},
		"realistic profile keeps its cited figure":         {[]string{"--profile", "realistic"}, emulator.RealisticProfile(false).DeregistrationPropagation},
		"flag sets the window on the fast profile":         {[]string{"--deregistration-propagation", "1s"}, time.Second},
		"flag set to zero turns the realistic window off":  {[]string{"--profile", "realistic", "--deregistration-propagation", "0s"}, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := parseOptions(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := o.config()
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Profile.DeregistrationPropagation; got != tc.want {
				t.Fatalf("DeregistrationPropagation = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestMalformedFlagsAreRejected(t *testing.T) {
	cases := map[string][]string{
		"VPC without CIDR":         {"--vpc", "vpc-0123456789abcdef0"},
		"VPC with a bad IPv6 CIDR": {"--vpc", "vpc-0123456789abcdef0=10.244.0.0/16,fd00::1"},
		"dial map without TO":      {"--dial-map", "10.244.0.0/16"},
		"unknown profile":          {"--profile", "slow"},
		"negative propagation":     {"--deregistration-propagation", "-1s"},
		"instance without address": {"--instance-map", "i-0123456789abcdef0"},
		"instance with a hostname": {"--instance-map", "i-0123456789abcdef0=node-1"},
		"lb addresses not a CIDR":  {"--lb-addresses", "127.0.100.1"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			o, err := parseOptions(args)
			if err != nil {
				return
			}
			if _, err := o.config(); err == nil {
				t.Fatalf("options %v accepted", args)
			}
		})
	}
}

func TestAccountAndRoleFlagsBecomeConfig(t *testing.T) {
	o, err := parseOptions([]string{
		"--account", "111122223333=AKIANETWORK,AKIANETWORK2",
		"--account-vpc", "111122223333/vpc-0b0b0b0b0b0b0b0b0=10.50.0.0/16",
		"--role", "arn:aws:iam::111122223333:role/tgc-guarded|123456789012|tenant-a",
		"--role", "arn:aws:iam::111122223333:role/tgc-open|123456789012,444455556666",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config()
	if err != nil {
		t.Fatal(err)
	}
	want := []emulator.Account{{ID: "111122223333", AccessKeys: []string{"AKIANETWORK", "AKIANETWORK2"},
		VPCs: []emulator.VPC{{ID: "vpc-0b0b0b0b0b0b0b0b0", CIDR: netip.MustParsePrefix("10.50.0.0/16")}}}}
	if !reflect.DeepEqual(cfg.Accounts, want) {
		t.Errorf("Accounts = %+v, want %+v", cfg.Accounts, want)
	}
	if len(cfg.Roles) != 2 || cfg.Roles[0].ExternalID != "tenant-a" || cfg.Roles[1].ExternalID != "" || len(cfg.Roles[1].TrustedAccounts) != 2 {
		t.Errorf("Roles = %+v", cfg.Roles)
	}
	emu, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("the emulator refuses the config: %v", err)
	}
	_ = emu.Close()
	for _, bad := range [][]string{
		{"--account", "111122223333"},
		{"--account-vpc", "111122223333/vpc-0b0b0b0b0b0b0b0b0=10.50.0.0/16"},
		{"--role", "arn:aws:iam::111122223333:role/x"},
	} {
		o, err := parseOptions(bad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.config(); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
}
