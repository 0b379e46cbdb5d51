variable "aws_region" {
  description = "AWS region of the VPC and the security groups (and of the demo front instance, when on)."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region name such as \"eu-central-1\"."
  }
}

variable "vpc_id" {
  description = "VPC that holds the security groups (created ones, and the existing ones looked up); null means the region's default VPC."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be null or a VPC id such as \"vpc-0abc1234def567890\"."
  }
}

variable "demo_front_instance" {
  description = "Launch the demo web instance of the original walkthrough in sg-front (off: Portcullis manages rules, not instances)."
  type        = bool
  default     = false
}

variable "front_subnet_id" {
  description = "Subnet of the demo front instance; null means the first subnet of the VPC (sorted by id). It must give the instance a route to the internet."
  type        = string
  default     = null

  validation {
    condition     = var.front_subnet_id == null || can(regex("^subnet-[0-9a-f]{8,17}$", var.front_subnet_id))
    error_message = "front_subnet_id must be null or a subnet id such as \"subnet-0abc1234def567890\"."
  }
}

variable "front_ami_id" {
  description = "AMI of the demo front instance; null means the latest Amazon Linux 2023 (x86_64) published by Amazon."
  type        = string
  default     = null

  validation {
    condition     = var.front_ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", var.front_ami_id))
    error_message = "front_ami_id must be null or an AMI id such as \"ami-0abc1234def567890\"."
  }
}

variable "front_instance_type" {
  description = "EC2 instance type of the demo front instance."
  type        = string
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.front_instance_type))
    error_message = "front_instance_type must be an EC2 instance type such as \"t3.micro\"."
  }
}

variable "default_tags" {
  description = "Extra tags put on every resource (e.g. owner, cost centre), beside portcullis:managed-by."
  type        = map(string)
  default     = {}
}

variable "environment" {
  description = "Named environment (terraform/environments/<name>/groups.json and rules/); null means the single environment, terraform/groups.json and terraform/rules/."
  type        = string
  default     = null

  validation {
    condition     = var.environment == null || can(regex("^[a-z][a-z0-9-]{0,29}$", var.environment))
    error_message = "environment must be null or a name of lower-case letters, digits and \"-\", such as \"production\"."
  }
}

variable "aws_account_id" {
  description = "The environment's AWS account: the provider refuses to act in any other. null means no check (the single environment)."
  type        = string
  default     = null

  validation {
    condition     = var.aws_account_id == null || can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be null or a 12-digit AWS account id."
  }
}

variable "aws_role_arn" {
  description = "Role the provider assumes in the environment's account to plan and apply; null means the job's own credentials."
  type        = string
  default     = null

  validation {
    condition     = var.aws_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.aws_role_arn))
    error_message = "aws_role_arn must be null or an IAM role ARN."
  }
}
