/** Text of the admin area. Keys start with 'admin.'. */
export default {} as const;
