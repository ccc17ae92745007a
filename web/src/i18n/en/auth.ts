/** Text of the auth area. Keys start with 'auth.'. */
export default {} as const;
