/** A two-job pipeline (build, then a blocking manual deploy): enough for tests of GitLab itself. */
export const MINIMAL_CI_FILE = `
stages: [build, deploy]
build:
  stage: build
  script: [make]
deploy:
  stage: deploy
  when: manual
  allow_failure: false
  script: [make deploy]
`;
