output "security_group_ids" {
  description = "Security group id by group key (the keys of groups.json)."
  value       = { for key, group in aws_security_group.group : key => group.id }
}

output "front_public_ip" {
  description = "Public IPv4 address of the front instance, which the service checks probe."
  value       = aws_instance.front.public_ip
}

output "rule_ids" {
  description = "Security group rule id (sgr-...) by rule id (the file names under rules/)."
  value       = { for id, rule in aws_vpc_security_group_ingress_rule.rule : id => rule.security_group_rule_id }
}
