/** Text of the security area. Keys start with 'security.'. */
export default {} as const;
