# Portcullis turns files into firewall rules: terraform/groups.json declares the
# security groups, and every terraform/rules/<id>.json (written by /sg-request or by a
# person, schema in src/domain/rule.ts) becomes one ingress rule. Rules accumulate in
# git: a pipeline plans the whole set, never one rule picked out with -target or passed
# in a pipeline variable, so no later pipeline can silently drop an earlier rule.

locals {
  # Where this environment's groups.json and rules/ are: terraform/ for the single
  # environment, terraform/environments/<name>/ for a named one (var.environment).
  config_dir = var.environment == null ? path.module : "${path.module}/environments/${var.environment}"

  # "sg-front" => { description, service_ports }
  groups = jsondecode(file("${local.config_dir}/groups.json"))

  # The optional fields of a rule file (src/domain/rule.ts), so every rule has them.
  rule_defaults = { direction = "ingress", ticket = null, expires_at = null }

  # Rule by file name: terraform/rules/REQ-12.json => local.rules["REQ-12"]. The
  # preconditions on the ingress rule check that the name is also the rule's id.
  rules = {
    for file_name in fileset("${local.config_dir}/rules", "*.json") :
    trimsuffix(file_name, ".json") => merge(local.rule_defaults, jsondecode(file("${local.config_dir}/rules/${file_name}")))
  }

  # The group whose public members the service checks probe.
  front_group = "sg-front"

  front_ami_id    = var.front_ami_id != null ? var.front_ami_id : one(data.aws_ami.amazon_linux[*].id)
  front_subnet_id = var.front_subnet_id != null ? var.front_subnet_id : try(sort(data.aws_subnets.vpc.ids)[0], null)
}

data "aws_vpc" "selected" {
  id      = var.vpc_id
  default = var.vpc_id == null ? true : null
}

data "aws_subnets" "vpc" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.selected.id]
  }
}

data "aws_ami" "amazon_linux" {
  count = var.front_ami_id == null ? 1 : 0

  owners      = ["amazon"]
  most_recent = true

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_security_group" "group" {
  for_each = local.groups

  name        = each.key
  description = each.value.description
  vpc_id      = data.aws_vpc.selected.id

  tags = {
    Name               = each.key
    "portcullis:group" = each.key
  }
}

# Terraform deletes the allow-all egress rule AWS gives every new group; put it back so
# members can still reach package mirrors and the APIs they call. Requests only ever
# open ingress.
resource "aws_vpc_security_group_egress_rule" "all_outbound" {
  for_each = aws_security_group.group

  security_group_id = each.value.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "All outbound traffic"

  tags = {
    Name               = "${each.key}-egress"
    "portcullis:group" = each.key
  }
}

resource "aws_vpc_security_group_ingress_rule" "rule" {
  for_each = local.rules

  security_group_id = aws_security_group.group[each.value.group].id
  ip_protocol       = each.value.protocol
  # "-1" means all protocols, and AWS takes no ports with it.
  from_port = each.value.protocol == "-1" ? null : each.value.from_port
  to_port   = each.value.protocol == "-1" ? null : each.value.to_port
  # Exactly one of the two is set, by the address family of the source.
  cidr_ipv4   = strcontains(each.value.cidr, ":") ? null : each.value.cidr
  cidr_ipv6   = strcontains(each.value.cidr, ":") ? each.value.cidr : null
  description = each.value.description

  tags = {
    Name                    = each.key
    "portcullis:request"    = each.key
    "portcullis:group"      = each.value.group
    "portcullis:requester"  = each.value.requester
    "portcullis:ticket"     = each.value.ticket == null ? "" : each.value.ticket
    "portcullis:expires_at" = each.value.expires_at == null ? "" : each.value.expires_at
  }

  lifecycle {
    precondition {
      condition     = each.value.id == each.key
      error_message = "terraform/rules/${each.key}.json holds the rule \"${each.value.id}\": a rule file must be named after its id."
    }
    precondition {
      condition     = contains(keys(local.groups), each.value.group)
      error_message = "terraform/rules/${each.key}.json names the group \"${each.value.group}\", which terraform/groups.json does not declare."
    }
    precondition {
      condition     = each.value.direction == "ingress"
      error_message = "terraform/rules/${each.key}.json: only ingress rules are managed per request."
    }
  }
}

resource "aws_instance" "front" {
  ami                         = local.front_ami_id
  instance_type               = var.front_instance_type
  subnet_id                   = local.front_subnet_id
  vpc_security_group_ids      = [aws_security_group.group[local.front_group].id]
  associate_public_ip_address = true

  # A web server on port 80, so the post-deploy service checks have something to ask.
  user_data = <<-EOT
    #!/bin/sh
    dnf install -y nginx
    systemctl enable --now nginx
  EOT

  metadata_options {
    http_tokens = "required"
  }

  tags = {
    Name               = "portcullis-front"
    "portcullis:group" = local.front_group
  }

  lifecycle {
    precondition {
      condition     = contains(keys(local.groups), local.front_group)
      error_message = "terraform/groups.json must declare the group \"${local.front_group}\" of the front instance."
    }
    precondition {
      condition     = local.front_subnet_id != null
      error_message = "The VPC has no subnet for the front instance: set front_subnet_id."
    }
  }
}
