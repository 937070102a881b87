//! The claims' ports: submission, the claim repository, the tenant directory, the review
//! queue and the due index.
