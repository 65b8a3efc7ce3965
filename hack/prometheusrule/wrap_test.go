package main

import (
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	cases := map[string]struct {
		src     string
		wantErr string
		want    []string // lines the object holds
	}{
		"the rules go under spec, comments and block scalars included": {
			src:  "# About this file.\ngroups:\n- name: g\n  rules:\n  # Why.\n  - record: r\n    expr: |\n      sum(x)\n\n      / 2\n",
			want: []string{"kind: PrometheusRule", "spec:\n  groups:\n  - name: g", "  # Why.\n", "    expr: |\n        sum(x)\n\n        / 2\n"},
		},
		"the file's opening comment stays behind": {
			src:  "# About this file.\ngroups: []\n",
			want: []string{"spec:\n  groups: []\n"},
		},
		"a file of comments only is an error": {
			src:     "# nothing\n",
			wantErr: "no rules",
		},
		"a file without groups is an error": {
			src:     "rules: []\n",
			wantErr: "differ",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := wrap([]byte(tc.src), "rules.yaml")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("object lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(string(got), "About this file") {
				t.Errorf("the file's opening comment was copied:\n%s", got)
			}
		})
	}
}
