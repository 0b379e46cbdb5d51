output "security_group_ids" {
  description = "Security group id by group key (the keys of groups.json), created or existing."
  value       = local.group_ids
}

output "front_public_ip" {
  description = "Public IPv4 address of the demo front instance; null unless var.demo_front_instance."
  value       = one(aws_instance.front[*].public_ip)
}

output "rule_ids" {
  description = "Security group rule id (sgr-...) by rule id (the file names under rules/), ingress and egress."
  value = merge(
    { for id, rule in aws_vpc_security_group_ingress_rule.rule : id => rule.security_group_rule_id },
    { for id, rule in aws_vpc_security_group_egress_rule.rule : id => rule.security_group_rule_id },
  )
}
