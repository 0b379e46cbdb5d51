# Portcullis turns files into firewall rules: terraform/groups.json declares the
# security groups, and every terraform/rules/<id>.json (written by /sg-request,
# `portcullis import` or a person, schema in src/domain/rule.ts) becomes one ingress or
# egress rule. Rules accumulate in git: a pipeline plans the whole set, never one rule
# picked out with -target or passed in a pipeline variable, so no later pipeline can
# silently drop an earlier rule.

locals {
  # Where this environment's groups.json and rules/ are: terraform/ for the single
  # environment, terraform/environments/<name>/ for a named one (var.environment).
  config_dir = var.environment == null ? path.module : "${path.module}/environments/${var.environment}"

  # "sg-front" => { description, service_ports, ... }; a group with "id" or "lookup" was
  # made elsewhere: Portcullis manages rules on it but never creates, changes or destroys it.
  groups          = jsondecode(file("${local.config_dir}/groups.json"))
  created_groups  = { for key, group in local.groups : key => group if try(group.id, null) == null && try(group.lookup, null) == null }
  existing_groups = { for key, group in local.groups : key => group if !contains(keys(local.created_groups), key) }

  # Every group's id by key, created or found.
  group_ids = merge(
    { for key, group in aws_security_group.group : key => group.id },
    { for key, group in data.aws_security_group.existing : key => group.id },
  )

  # The optional fields of a rule file (src/domain/rule.ts), so every rule has them. The
  # peer is exactly one of cidr, peer_group (a groups.json key or an sg- id), prefix_list.
  rule_defaults = { direction = "ingress", cidr = null, peer_group = null, prefix_list = null, ticket = null, expires_at = null }

  # Rule by file name: terraform/rules/REQ-12.json => local.rules["REQ-12"]. The
  # preconditions on the rule resources check that the name is also the rule's id.
  rules = {
    for file_name in fileset("${local.config_dir}/rules", "*.json") :
    trimsuffix(file_name, ".json") => merge(local.rule_defaults, jsondecode(file("${local.config_dir}/rules/${file_name}")))
  }
  ingress_rules = { for id, rule in local.rules : id => rule if rule.direction == "ingress" }
  egress_rules  = { for id, rule in local.rules : id => rule if rule.direction != "ingress" }

  # The demo web instance of the original walkthrough (var.demo_front_instance) sits here.
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
  count = var.demo_front_instance && var.front_ami_id == null ? 1 : 0

  owners      = ["amazon"]
  most_recent = true

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-x86_64"]
  }
}

resource "aws_security_group" "group" {
  for_each = local.created_groups

  name        = each.key
  description = each.value.description
  vpc_id      = data.aws_vpc.selected.id

  tags = {
    Name               = each.key
    "portcullis:group" = each.key
  }
}

# A group made elsewhere, found by id or by name/tags, always in the selected VPC (so a
# group of another VPC is not found, and the plan stops). Exactly one must match.
data "aws_security_group" "existing" {
  for_each = local.existing_groups

  id     = try(each.value.id, null)
  name   = try(each.value.lookup.name, null)
  tags   = try(each.value.lookup.tags, null)
  vpc_id = data.aws_vpc.selected.id
}

# Terraform deletes the allow-all egress rule AWS gives every new group; put it back on
# the groups Portcullis creates, so members can still reach package mirrors and the APIs
# they call. Egress rules asked for per request come on top.
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

# The two rule resources are one shape, by direction: keep them alike.
resource "aws_vpc_security_group_ingress_rule" "rule" {
  for_each = local.ingress_rules

  security_group_id = local.group_ids[each.value.group]
  ip_protocol       = each.value.protocol
  # "-1" means all protocols, and AWS takes no ports with it.
  from_port = each.value.protocol == "-1" ? null : each.value.from_port
  to_port   = each.value.protocol == "-1" ? null : each.value.to_port
  # Exactly one peer is set: a CIDR by its address family, a group, or a prefix list.
  cidr_ipv4                    = try(strcontains(each.value.cidr, ":"), true) ? null : each.value.cidr
  cidr_ipv6                    = try(strcontains(each.value.cidr, ":"), false) ? each.value.cidr : null
  referenced_security_group_id = each.value.peer_group == null ? null : lookup(local.group_ids, each.value.peer_group, each.value.peer_group)
  prefix_list_id               = each.value.prefix_list
  # A rule adopted by `portcullis import` may have no description; AWS then has none.
  description = each.value.description == "" ? null : each.value.description

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
      condition     = length(compact([each.value.cidr, each.value.peer_group, each.value.prefix_list])) == 1
      error_message = "terraform/rules/${each.key}.json: exactly one of cidr, peer_group and prefix_list names the rule's peer."
    }
    precondition {
      condition     = each.value.peer_group == null || contains(keys(local.group_ids), coalesce(each.value.peer_group, "-")) || can(regex("^sg-[0-9a-f]{8}([0-9a-f]{9})?$", coalesce(each.value.peer_group, "-")))
      error_message = "terraform/rules/${each.key}.json: peer_group must be a key of terraform/groups.json or a security group id."
    }
  }
}

resource "aws_vpc_security_group_egress_rule" "rule" {
  for_each = local.egress_rules

  security_group_id            = local.group_ids[each.value.group]
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.protocol == "-1" ? null : each.value.from_port
  to_port                      = each.value.protocol == "-1" ? null : each.value.to_port
  cidr_ipv4                    = try(strcontains(each.value.cidr, ":"), true) ? null : each.value.cidr
  cidr_ipv6                    = try(strcontains(each.value.cidr, ":"), false) ? each.value.cidr : null
  referenced_security_group_id = each.value.peer_group == null ? null : lookup(local.group_ids, each.value.peer_group, each.value.peer_group)
  prefix_list_id               = each.value.prefix_list
  description                  = each.value.description == "" ? null : each.value.description

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
      condition     = each.value.direction == "egress"
      error_message = "terraform/rules/${each.key}.json: direction must be \"ingress\" or \"egress\"."
    }
    precondition {
      condition     = contains(keys(local.groups), each.value.group)
      error_message = "terraform/rules/${each.key}.json names the group \"${each.value.group}\", which terraform/groups.json does not declare."
    }
    precondition {
      condition     = length(compact([each.value.cidr, each.value.peer_group, each.value.prefix_list])) == 1
      error_message = "terraform/rules/${each.key}.json: exactly one of cidr, peer_group and prefix_list names the rule's peer."
    }
    precondition {
      condition     = each.value.peer_group == null || contains(keys(local.group_ids), coalesce(each.value.peer_group, "-")) || can(regex("^sg-[0-9a-f]{8}([0-9a-f]{9})?$", coalesce(each.value.peer_group, "-")))
      error_message = "terraform/rules/${each.key}.json: peer_group must be a key of terraform/groups.json or a security group id."
    }
  }
}

# The demo web instance of the original walkthrough: off unless var.demo_front_instance.
# The sandbox and the fakes run a front instance of their own.
resource "aws_instance" "front" {
  count = var.demo_front_instance ? 1 : 0

  ami                         = local.front_ami_id
  instance_type               = var.front_instance_type
  subnet_id                   = local.front_subnet_id
  vpc_security_group_ids      = [local.group_ids[local.front_group]]
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
      error_message = "terraform/groups.json must declare the group \"${local.front_group}\" of the demo front instance."
    }
    precondition {
      condition     = local.front_subnet_id != null
      error_message = "The VPC has no subnet for the demo front instance: set front_subnet_id."
    }
  }
}
