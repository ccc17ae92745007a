/** Text of the agent area. Keys start with 'agent.'. */
export default {} as const;
