/** Text of the account area. Keys start with 'account.'. */
export default {} as const;
