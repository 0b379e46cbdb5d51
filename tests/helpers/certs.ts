// Certificates for HTTPS test targets: made at test time by the services fake's helper.
export * from '../../src/fakes/services/certs.ts';
