// Moved to shared/ (the web client parses with it too); this path stays while work in progress imports it.
export * from '@parley/shared/xml-parser';
