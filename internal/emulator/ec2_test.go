package emulator

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

var (
	vpcA = VPC{ID: "vpc-0a1b2c3d4e5f60718", CIDR: mustPrefix("10.244.0.0/16")}
	vpcB = VPC{ID: "vpc-0fedcba987654321f", CIDR: mustPrefix("10.96.0.0/12")}
)

// ec2Client is the unmodified EC2 SDK client pointed at the emulator.
func ec2Client(url string) *ec2.Client {
	return ec2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *ec2.Options) { o.BaseEndpoint = aws.String(url) })
}

func withTwoVPCs(c *Config) { c.VPCs = []VPC{vpcB, vpcA} }

func filter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: aws.String(name), Values: values}
}

func vpcIDs(vs []ec2types.Vpc) []string {
	var out []string
	for _, v := range vs {
		out = append(out, aws.ToString(v.VpcId))
	}
	return out
}

func TestDescribeVpcsThroughTheEC2SDK(t *testing.T) {
	h := start(t, withTwoVPCs)
	c := ec2Client(h.emu.URL())
	all, err := c.DescribeVpcs(h.ctx, &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := vpcIDs(all.Vpcs); !slices.Equal(got, []string{vpcA.ID, vpcB.ID}) {
		t.Fatalf("DescribeVpcs = %v, want both VPCs by ID", got)
	}
	v := all.Vpcs[0]
	if aws.ToString(v.CidrBlock) != "10.244.0.0/16" || v.State != ec2types.VpcStateAvailable || aws.ToString(v.OwnerId) != "123456789012" ||
		aws.ToBool(v.IsDefault) || len(v.CidrBlockAssociationSet) != 1 || v.CidrBlockAssociationSet[0].CidrBlockState.State != ec2types.VpcCidrBlockStateCodeAssociated {
		t.Fatalf("VPC = %+v", v)
	}

	cases := map[string]struct {
		in   *ec2.DescribeVpcsInput
		want []string
	}{
		"by ID":                         {&ec2.DescribeVpcsInput{VpcIds: []string{vpcB.ID}}, []string{vpcB.ID}},
		"vpc-id filter":                 {&ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("vpc-id", vpcB.ID)}}, []string{vpcB.ID}},
		"values of one filter are ORed": {&ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("cidr", "10.96.0.0/12", "10.244.0.0/16")}}, []string{vpcA.ID, vpcB.ID}},
		"filters are ANDed":             {&ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("cidr", "10.244.0.0/16"), filter("vpc-id", vpcB.ID)}}, nil},
		"wildcards":                     {&ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("cidr-block-association.cidr-block", "10.2??.*")}}, []string{vpcA.ID}},
		"is-default":                    {&ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("is-default", "true")}}, nil},
		"a tag no VPC has":              {&ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("tag:Name", "*")}}, nil},
		"IDs and filters together":      {&ec2.DescribeVpcsInput{VpcIds: []string{vpcA.ID, vpcB.ID}, Filters: []ec2types.Filter{filter("state", "available"), filter("owner-id", "123456789012")}}, []string{vpcA.ID, vpcB.ID}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := c.DescribeVpcs(h.ctx, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := vpcIDs(out.Vpcs); !slices.Equal(got, tc.want) {
				t.Fatalf("DescribeVpcs = %v, want %v", got, tc.want)
			}
		})
	}

	errs := map[string]struct {
		in   *ec2.DescribeVpcsInput
		code string
	}{
		"unknown VPC":     {&ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}}, "InvalidVpcID.NotFound"},
		"malformed ID":    {&ec2.DescribeVpcsInput{VpcIds: []string{"sg-1"}}, "InvalidVpcID.Malformed"},
		"unknown filter":  {&ec2.DescribeVpcsInput{Filters: []ec2types.Filter{filter("color", "blue")}}, "InvalidParameterValue"},
		"MaxResults of 4": {&ec2.DescribeVpcsInput{MaxResults: aws.Int32(4)}, "InvalidParameterValue"},
		"dry run":         {&ec2.DescribeVpcsInput{DryRun: aws.Bool(true)}, "DryRunOperation"},
	}
	for name, tc := range errs {
		t.Run(name, func(t *testing.T) {
			_, err := c.DescribeVpcs(h.ctx, tc.in)
			h.wantCode(err, tc.code)
		})
	}
}

func TestDescribeVpcsPagesWithNextToken(t *testing.T) {
	h := start(t, func(c *Config) {
		for _, id := range []string{"vpc-01", "vpc-02", "vpc-03", "vpc-04", "vpc-05", "vpc-06", "vpc-07"} {
			c.VPCs = append(c.VPCs, VPC{ID: id + "aaaaaa", CIDR: mustPrefix("10.0.0.0/16")})
		}
	})
	var got []string
	p := ec2.NewDescribeVpcsPaginator(ec2Client(h.emu.URL()), &ec2.DescribeVpcsInput{MaxResults: aws.Int32(5)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, vpcIDs(out.Vpcs)...)
	}
	if pages != 2 || len(got) != 7 || !slices.IsSorted(got) {
		t.Fatalf("%d pages of %v, want 2 pages of the 7 VPCs in order", pages, got)
	}
}

func TestDescribeSecurityGroupsThroughTheEC2SDK(t *testing.T) {
	h := start(t, withTwoVPCs)
	c := ec2Client(h.emu.URL())
	all, err := c.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.SecurityGroups) != 2 {
		t.Fatalf("DescribeSecurityGroups = %d groups, want the default group of each VPC", len(all.SecurityGroups))
	}
	byVPC := map[string]ec2types.SecurityGroup{}
	for _, g := range all.SecurityGroups {
		byVPC[aws.ToString(g.VpcId)] = g
	}
	sg := byVPC[vpcA.ID]
	if aws.ToString(sg.GroupName) != "default" || !strings.HasPrefix(aws.ToString(sg.GroupId), "sg-") ||
		len(sg.IpPermissions) != 1 || aws.ToString(sg.IpPermissions[0].UserIdGroupPairs[0].GroupId) != aws.ToString(sg.GroupId) ||
		len(sg.IpPermissionsEgress) != 1 || aws.ToString(sg.IpPermissionsEgress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Fatalf("default security group of %s = %+v", vpcA.ID, sg)
	}
	if again, _ := c.DescribeSecurityGroups(h.ctx, &ec2.DescribeSecurityGroupsInput{}); aws.ToString(again.SecurityGroups[0].GroupId) != aws.ToString(all.SecurityGroups[0].GroupId) {
		t.Fatal("security group IDs change between calls")
	}

	groupIDs := func(in *ec2.DescribeSecurityGroupsInput) []string {
		t.Helper()
		out, err := c.DescribeSecurityGroups(h.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, g := range out.SecurityGroups {
			ids = append(ids, aws.ToString(g.GroupId))
		}
		return ids
	}
	a, b := aws.ToString(sg.GroupId), aws.ToString(byVPC[vpcB.ID].GroupId)
	cases := map[string]struct {
		in   *ec2.DescribeSecurityGroupsInput
		want []string
	}{
		"by ID":               {&ec2.DescribeSecurityGroupsInput{GroupIds: []string{b}}, []string{b}},
		"vpc-id filter":       {&ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("vpc-id", vpcA.ID)}}, []string{a}},
		"group-name filter":   {&ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("group-name", "default"), filter("vpc-id", vpcB.ID)}}, []string{b}},
		"inbound from itself": {&ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("ip-permission.group-id", a)}}, []string{a}},
		"egress anywhere":     {&ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("egress.ip-permission.cidr", "0.0.0.0/0"), filter("vpc-id", vpcA.ID)}}, []string{a}},
		"a cluster tag no group has": {&ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			filter("vpc-id", vpcA.ID), filter("tag:elbv2.k8s.aws/cluster", "demo")}}, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := groupIDs(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("DescribeSecurityGroups = %v, want %v", got, tc.want)
			}
		})
	}

	errs := map[string]struct {
		in   *ec2.DescribeSecurityGroupsInput
		code string
	}{
		"unknown group":               {&ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}}, "InvalidGroup.NotFound"},
		"malformed ID":                {&ec2.DescribeSecurityGroupsInput{GroupIds: []string{"default"}}, "InvalidGroupId.Malformed"},
		"names without a default VPC": {&ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}}, "VPCIdNotSpecified"},
		"IDs with MaxResults":         {&ec2.DescribeSecurityGroupsInput{GroupIds: []string{a}, MaxResults: aws.Int32(5)}, "InvalidParameterCombination"},
		"unknown filter":              {&ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{filter("vpc", vpcA.ID)}}, "InvalidParameterValue"},
	}
	for name, tc := range errs {
		t.Run(name, func(t *testing.T) {
			_, err := c.DescribeSecurityGroups(h.ctx, tc.in)
			h.wantCode(err, tc.code)
		})
	}
}

func TestEveryOtherEC2ActionIsInvalidAction(t *testing.T) {
	h := start(t)
	c := ec2Client(h.emu.URL())
	_, err := c.CreateSecurityGroup(h.ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("x"), Description: aws.String("x"), VpcId: aws.String(DefaultVPC.ID)})
	h.wantCode(err, "InvalidAction")
	// DescribeTags is an ELBv2 action too: the signing service tells them apart.
	_, err = c.DescribeTags(h.ctx, &ec2.DescribeTagsInput{})
	h.wantCode(err, "InvalidAction")
	if _, err := h.c.DescribeLoadBalancers(h.ctx, nil); err != nil {
		t.Fatalf("ELBv2 on the same endpoint: %v", err)
	}
	calls := h.emu.Calls()
	if last := calls[len(calls)-2]; last.Action != "DescribeTags" || last.Result != "InvalidAction" {
		t.Fatalf("call log has %+v, want EC2's DescribeTags answered InvalidAction", last)
	}
}

// Not parallel: it sets process environment variables.
func TestAWSEndpointURLEC2PointsTheSDKAtTheEmulator(t *testing.T) {
	h := start(t)
	for _, kv := range SDKEnv(h.emu.URL(), "us-east-1") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := ec2.NewFromConfig(cfg).DescribeVpcs(h.ctx, &ec2.DescribeVpcsInput{})
	if err != nil || len(out.Vpcs) != 1 || aws.ToString(out.Vpcs[0].VpcId) != DefaultVPC.ID {
		t.Fatalf("DescribeVpcs through AWS_ENDPOINT_URL_EC2 = %+v, %v", out, err)
	}
}

func TestAnUnsignedScopeFallsBackToTheAPIVersion(t *testing.T) {
	h := start(t)
	form := url.Values{"Action": {"DescribeVpcs"}, "Version": {"2016-11-15"}}
	req, _ := http.NewRequest(http.MethodGet, h.emu.URL()+"/?"+form.Encode()+"&X-Amz-Signature=x", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("EC2 call by version answered %s", resp.Status)
	}
}
