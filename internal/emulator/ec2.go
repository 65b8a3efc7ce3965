package emulator

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"regexp"
	"slices"
	"strconv"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// The emulated account's EC2, as far as a load balancer controller reads
// it: the VPCs of Config.VPCs (--vpc) and the default security group AWS
// creates in each. Nothing here changes: there is no CreateSecurityGroup,
// and every other action answers InvalidAction.

var (
	ec2VpcIDPattern   = regexp.MustCompile(`^vpc-[0-9a-f]+$`)
	ec2GroupIDPattern = regexp.MustCompile(`^sg-[0-9a-f]+$`)
)

func errEC2(code, message string) *query.Error { return query.SenderError(code, message) }

// derivedID is a stable EC2-shaped ID for something that belongs to a VPC
// (its default security group, its DHCP options, its CIDR association):
// the same VPC always has the same one, in every emulator.
func derivedID(prefix, kind, vpcID string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(kind + "/" + vpcID))
	return prefix + fmt.Sprintf("%017x", h.Sum64())[:17]
}

func (e *Emulator) ec2VPC(v VPC) (ec2VPC, ec2Fields) {
	out := ec2VPC{
		VpcID: v.ID, OwnerID: e.cfg.AccountID, State: "available", CIDRBlock: v.CIDR.String(),
		CIDRBlockAssociationSet: []ec2CIDRAssociation{{
			AssociationID:  derivedID("vpc-cidr-assoc-", "cidr", v.ID),
			CIDRBlock:      v.CIDR.String(),
			CIDRBlockState: ec2CIDRState{State: "associated"},
		}},
		DHCPOptionsID:   derivedID("dopt-", "dhcp", v.ID),
		InstanceTenancy: "default",
		// The configured VPCs are the user's own; the emulated account has
		// no default VPC.
		IsDefault: false,
	}
	a := out.CIDRBlockAssociationSet[0]
	v6 := e.ec2IPv6Association(v)
	if v6 != nil {
		out.IPv6CIDRBlockAssociationSet = []ec2IPv6CIDRAssociation{*v6}
	}
	return out, ec2Fields{
		"cidr":                                        {out.CIDRBlock},
		"cidr-block-association.cidr-block":           {a.CIDRBlock},
		"cidr-block-association.association-id":       {a.AssociationID},
		"cidr-block-association.state":                {a.CIDRBlockState.State},
		"dhcp-options-id":                             {out.DHCPOptionsID},
		"ipv6-cidr-block-association.ipv6-cidr-block": v6.field(func(a ec2IPv6CIDRAssociation) string { return a.IPv6CIDRBlock }),
		"ipv6-cidr-block-association.ipv6-pool":       v6.field(func(a ec2IPv6CIDRAssociation) string { return a.IPv6Pool }),
		"ipv6-cidr-block-association.association-id":  v6.field(func(a ec2IPv6CIDRAssociation) string { return a.AssociationID }),
		"ipv6-cidr-block-association.state":           v6.field(func(a ec2IPv6CIDRAssociation) string { return a.IPv6CIDRBlockState.State }),
		"is-default":                                  {strconv.FormatBool(out.IsDefault)},
		"owner-id":                                    {out.OwnerID},
		"state":                                       {out.State},
		"tag-key":                                     nil,
		"vpc-id":                                      {out.VpcID},
	}
}

// ec2DefaultGroup is the security group AWS creates with each VPC: named
// default, it lets in all traffic from its own members and lets out all
// traffic (https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html).
func (e *Emulator) ec2DefaultGroup(v VPC) (ec2SecurityGroup, ec2Fields) {
	id := derivedID("sg-", "default-sg", v.ID)
	sg := ec2SecurityGroup{
		OwnerID: e.cfg.AccountID, GroupID: id, GroupName: "default",
		GroupDescription: "default VPC security group", VpcID: v.ID,
		SecurityGroupArn:    "arn:aws:ec2:" + e.cfg.Region + ":" + e.cfg.AccountID + ":security-group/" + id,
		IPPermissions:       []ec2IPPermission{{IPProtocol: "-1", Groups: []ec2GroupPair{{UserID: e.cfg.AccountID, GroupID: id}}}},
		IPPermissionsEgress: []ec2IPPermission{{IPProtocol: "-1", IPRanges: []ec2IPRange{{CIDRIP: "0.0.0.0/0"}}}},
	}
	fields := ec2Fields{
		"description": {sg.GroupDescription}, "group-id": {id}, "group-name": {sg.GroupName},
		"owner-id": {sg.OwnerID}, "vpc-id": {v.ID}, "tag-key": nil,
	}
	for _, dir := range []struct {
		prefix string
		perms  []ec2IPPermission
	}{{"ip-permission.", sg.IPPermissions}, {"egress.ip-permission.", sg.IPPermissionsEgress}} {
		for _, name := range []string{"cidr", "from-port", "group-id", "group-name", "ipv6-cidr", "prefix-list-id", "protocol", "to-port", "user-id"} {
			fields[dir.prefix+name] = nil
		}
		for _, perm := range dir.perms {
			fields[dir.prefix+"protocol"] = append(fields[dir.prefix+"protocol"], perm.IPProtocol)
			for _, r := range perm.IPRanges {
				fields[dir.prefix+"cidr"] = append(fields[dir.prefix+"cidr"], r.CIDRIP)
			}
			for _, g := range perm.Groups {
				fields[dir.prefix+"group-id"] = append(fields[dir.prefix+"group-id"], g.GroupID)
				fields[dir.prefix+"group-name"] = append(fields[dir.prefix+"group-name"], sg.GroupName)
				fields[dir.prefix+"user-id"] = append(fields[dir.prefix+"user-id"], g.UserID)
			}
		}
	}
	return sg, fields
}

// ec2DryRun answers DryRun=true as EC2 does once the caller would be
// allowed, which here is always.
func ec2DryRun(p query.Params) *query.Error {
	if dry, _, _ := p.Bool("DryRun"); dry {
		return &query.Error{Status: http.StatusPreconditionFailed, Code: "DryRunOperation", Message: "Request would have succeeded, but DryRun flag is set."}
	}
	return nil
}

func (e *Emulator) describeVpcs(p query.Params) (any, *query.Error) {
	if qe := ec2DryRun(p); qe != nil {
		return nil, qe
	}
	filters, qe := parseEC2Filters(p)
	if qe != nil {
		return nil, qe
	}
	ids := p.FlatList("VpcId")
	for _, id := range ids {
		if !ec2VpcIDPattern.MatchString(id) {
			return nil, errEC2("InvalidVpcID.Malformed", fmt.Sprintf("Invalid id: %q", id))
		}
		if !slices.ContainsFunc(e.vpcsOf(caller(p)), func(v VPC) bool { return v.ID == id }) {
			return nil, errEC2("InvalidVpcID.NotFound", "The vpc ID '"+id+"' does not exist")
		}
	}
	var out []ec2VPC
	for _, v := range e.sortedVPCs(caller(p)) {
		if len(ids) > 0 && !slices.Contains(ids, v.ID) {
			continue
		}
		vpc, fields := e.ec2VPC(v)
		ok, qe := matchEC2Filters(filters, fields)
		if qe != nil {
			return nil, qe
		}
		if ok {
			out = append(out, vpc)
		}
	}
	from, to, next, qe := ec2Page(p, len(out))
	if qe != nil {
		return nil, qe
	}
	return ec2DescribeVpcs{VpcSet: out[from:to], NextToken: next}, nil
}

func (e *Emulator) describeSecurityGroups(p query.Params) (any, *query.Error) {
	if qe := ec2DryRun(p); qe != nil {
		return nil, qe
	}
	filters, qe := parseEC2Filters(p)
	if qe != nil {
		return nil, qe
	}
	ids := p.FlatList("GroupId")
	if names := p.FlatList("GroupName"); len(names) > 0 {
		// GroupName finds groups of the default VPC only; a nondefault
		// VPC's groups are found with the group-name filter.
		return nil, errEC2("VPCIdNotSpecified", "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	if len(ids) > 0 && p.Has("MaxResults") {
		return nil, errEC2("InvalidParameterCombination", "The parameter groupIds cannot be used with the parameter maxResults")
	}
	groups := map[string]bool{}
	var out []ec2SecurityGroup
	for _, v := range e.sortedVPCs(caller(p)) {
		sg, fields := e.ec2DefaultGroup(v)
		groups[sg.GroupID] = true
		if len(ids) > 0 && !slices.Contains(ids, sg.GroupID) {
			continue
		}
		ok, qe := matchEC2Filters(filters, fields)
		if qe != nil {
			return nil, qe
		}
		if ok {
			out = append(out, sg)
		}
	}
	for _, id := range ids {
		if !ec2GroupIDPattern.MatchString(id) {
			return nil, errEC2("InvalidGroupId.Malformed", fmt.Sprintf("Invalid id: %q (expecting \"sg-...\")", id))
		}
		if !groups[id] {
			return nil, errEC2("InvalidGroup.NotFound", "The security group '"+id+"' does not exist")
		}
	}
	slices.SortFunc(out, func(a, b ec2SecurityGroup) int { return cmpString(a.GroupID, b.GroupID) })
	from, to, next, qe := ec2Page(p, len(out))
	if qe != nil {
		return nil, qe
	}
	return ec2DescribeSecurityGroups{SecurityGroupInfo: out[from:to], NextToken: next}, nil
}

// sortedVPCs are the account's VPCs by ID, the order EC2 lists them in.
func (e *Emulator) sortedVPCs(account string) []VPC {
	vpcs := slices.Clone(e.vpcsOf(account))
	slices.SortFunc(vpcs, func(a, b VPC) int { return cmpString(a.ID, b.ID) })
	return vpcs
}
