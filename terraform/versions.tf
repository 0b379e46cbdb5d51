terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # GitLab-managed Terraform state. Deliberately empty: the pipeline configures it
  # through TF_HTTP_ADDRESS, TF_HTTP_LOCK_ADDRESS, TF_HTTP_USERNAME, TF_HTTP_PASSWORD
  # (the job token) and friends, so no address or credential is written into the code
  # or into .terraform/. See .gitlab-ci.yml.
  backend "http" {}
}

provider "aws" {
  region = var.aws_region

  # A named environment's account: Terraform refuses to touch any other, whatever
  # credentials the job has, and assumes the environment's deploy role when one is given.
  allowed_account_ids = var.aws_account_id == null ? null : [var.aws_account_id]

  # A null role_arn (the single environment) assumes no role: the provider keeps one
  # assume_role block with a null or empty role_arn as "no role" for backwards
  # compatibility (hashicorp/terraform-provider-aws#39328, after the 5.67.0 regression
  # #39296; two such blocks, a chain, are refused: #41456).
  assume_role {
    role_arn     = var.aws_role_arn
    session_name = "portcullis-deploy"
  }

  default_tags {
    tags = merge({ "portcullis:managed-by" = "terraform" }, var.default_tags)
  }
}
