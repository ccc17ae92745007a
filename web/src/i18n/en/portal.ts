/** Text of the portal area. Keys start with 'portal.'. */
export default {} as const;
