// Placeholder entry point replaced by the simulated kernel (in progress in this session).
export {};
