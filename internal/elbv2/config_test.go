package elbv2

import (
	"context"
	"testing"
)

func TestNewClientRegion(t *testing.T) {
	cases := map[string]struct {
		env, option string
		want        string
		wantErr     bool
	}{
		"region comes from the environment":           {env: "eu-west-1", want: "eu-west-1"},
		"region option wins over the environment":     {env: "eu-west-1", option: "us-west-2", want: "us-west-2"},
		"region option alone is enough":               {option: "ap-south-1", want: "ap-south-1"},
		"no region anywhere is a configuration error": {wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tc.env)
			t.Setenv("AWS_DEFAULT_REGION", "")
			t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
			c, err := NewClient(context.Background(), Options{Region: tc.option})
			if tc.wantErr {
				if err == nil {
					t.Fatalf("NewClient succeeded with region %q, want an error", c.Options().Region)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if got := c.Options().Region; got != tc.want {
				t.Errorf("region = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestNewClientRetryer(t *testing.T) {
	cases := map[string]struct {
		attempts, want int
		wantErr        bool
	}{
		"zero attempts means the default": {attempts: 0, want: DefaultMaxAttempts},
		"attempts are configurable":       {attempts: 9, want: 9},
		"negative attempts are refused":   {attempts: -1, wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
			c, err := NewClient(context.Background(), Options{Region: "us-east-1", MaxAttempts: tc.attempts})
			if tc.wantErr {
				if err == nil {
					t.Fatal("NewClient accepted negative attempts")
				}
				return
			}
			if err != nil {
				t.Fatalf("NewClient: %v", err)
			}
			if got := c.Options().Retryer.MaxAttempts(); got != tc.want {
				t.Errorf("max attempts = %d, want %d", got, tc.want)
			}
		})
	}
}
