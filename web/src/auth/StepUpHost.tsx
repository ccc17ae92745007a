/** Mounted once in the staff shell: answers step_up_required (replaced by the sign-in area's dialog). */
export default function StepUpHost() {
  return null;
}
