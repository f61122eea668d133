-- Each nextval reserves a block of 64 referenceIds, handed out by the server without a statement
-- each (JdbiRoutingRepository.REFERENCE_BLOCK must match).
ALTER SEQUENCE workbin_reference_seq INCREMENT BY 64;
