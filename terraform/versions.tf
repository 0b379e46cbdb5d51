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

  default_tags {
    tags = merge({ "portcullis:managed-by" = "terraform" }, var.default_tags)
  }
}
