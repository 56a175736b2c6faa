/**
 * A place in a listing ordered newest first with ties broken by id: the last item a page showed, from which the next
 * page goes on.
 */
export interface ListPosition {
  createdAt: Date;
  id: string;
}
