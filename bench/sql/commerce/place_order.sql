-- POST /api/v1/orders as the server runs it: authentication, then one transaction of four
-- statements — the cart with its movies share-locked, the order, the holds moved to it, the
-- items. The server sends the cart's ids as literal lists; here they come from sub-selects.
\set sid random(:smin, :smax)
SELECT u.id AS uid, u.email, u.is_active, u.group_id FROM users u JOIN sessions s ON s.user_id = u.id WHERE s.id = :sid AND s.revoked_at IS NULL AND s.expires_at > 0 \gset
BEGIN;
SELECT h.movie_id, m.name, m.price_cents FROM holds h JOIN movies m ON m.id = h.movie_id WHERE h.user_id = :uid AND h.kind = 'cart' ORDER BY h.added_at, h.movie_id FOR SHARE OF m;
INSERT INTO orders (user_id, status, total_cents, created_at, updated_at, expires_at) VALUES (:uid, 'pending', 0, 0, 0, 1) RETURNING id AS oid \gset
UPDATE holds SET kind = 'order', order_id = :oid, expires_at = 1 WHERE user_id = :uid AND kind = 'cart' RETURNING *;
INSERT INTO order_items (order_id, movie_id, title, price_cents) SELECT :oid, m.id, m.name, m.price_cents FROM holds h JOIN movies m ON m.id = h.movie_id WHERE h.order_id = :oid RETURNING *;
COMMIT;
