package emulator

// XML shapes of the EC2 results the emulator answers. Element names follow
// the SDK's ec2query deserializers (service/ec2/deserializers.go): lower
// camel case, every list an <xSet> or <x> of <item> elements.

type ec2CIDRState struct {
	State string `xml:"state"`
}

type ec2CIDRAssociation struct {
	AssociationID  string       `xml:"associationId"`
	CIDRBlock      string       `xml:"cidrBlock"`
	CIDRBlockState ec2CIDRState `xml:"cidrBlockState"`
}

type ec2VPC struct {
	VpcID                   string               `xml:"vpcId"`
	OwnerID                 string               `xml:"ownerId"`
	State                   string               `xml:"state"`
	CIDRBlock               string               `xml:"cidrBlock"`
	CIDRBlockAssociationSet []ec2CIDRAssociation `xml:"cidrBlockAssociationSet>item"`
	// IPv6CIDRBlockAssociationSet is left out, as AWS leaves it, for a VPC
	// without an IPv6 block.
	IPv6CIDRBlockAssociationSet []ec2IPv6CIDRAssociation `xml:"ipv6CidrBlockAssociationSet>item,omitempty"`
	DHCPOptionsID               string                   `xml:"dhcpOptionsId"`
	InstanceTenancy             string                   `xml:"instanceTenancy"`
	IsDefault                   bool                     `xml:"isDefault"`
}

type ec2DescribeVpcs struct {
	VpcSet    []ec2VPC `xml:"vpcSet>item"`
	NextToken string   `xml:"nextToken,omitempty"`
}

type ec2GroupPair struct {
	UserID  string `xml:"userId"`
	GroupID string `xml:"groupId"`
}

type ec2IPRange struct {
	CIDRIP string `xml:"cidrIp"`
}

type ec2IPPermission struct {
	IPProtocol string         `xml:"ipProtocol"`
	Groups     []ec2GroupPair `xml:"groups>item"`
	IPRanges   []ec2IPRange   `xml:"ipRanges>item"`
}

type ec2SecurityGroup struct {
	OwnerID             string            `xml:"ownerId"`
	GroupID             string            `xml:"groupId"`
	GroupName           string            `xml:"groupName"`
	GroupDescription    string            `xml:"groupDescription"`
	VpcID               string            `xml:"vpcId"`
	SecurityGroupArn    string            `xml:"securityGroupArn"`
	IPPermissions       []ec2IPPermission `xml:"ipPermissions>item"`
	IPPermissionsEgress []ec2IPPermission `xml:"ipPermissionsEgress>item"`
}

type ec2DescribeSecurityGroups struct {
	SecurityGroupInfo []ec2SecurityGroup `xml:"securityGroupInfo>item"`
	NextToken         string             `xml:"nextToken,omitempty"`
}
