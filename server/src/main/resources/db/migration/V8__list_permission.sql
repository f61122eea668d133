-- Who may work on a list (docs/routing.md, "Who may do what"): supervisors and admins (by role),
-- and agents when the list has no owner, they are members of its agent group, or sit at a place of
-- its place group. A subscription to a list holds only while its user may work on the list, by
-- this view (see JdbiAdminRepository and JdbiRoutingRepository). RoutingService.mayWorkOn is the
-- same rule, on the administration data a node remembers.
CREATE VIEW list_permission AS
SELECT u.id AS user_id, l.id AS list_id
FROM app_user u JOIN work_list l ON l.org_id = u.org_id
WHERE (l.agent_group_id IS NULL AND l.place_group_id IS NULL)
   OR ' ' || u.roles || ' ' LIKE '% supervisor %'
   OR ' ' || u.roles || ' ' LIKE '% admin %'
   OR EXISTS (SELECT 1 FROM agent_group_member m
              WHERE m.group_id = l.agent_group_id AND m.user_id = u.id)
   OR EXISTS (SELECT 1 FROM place_group_place p
              WHERE p.group_id = l.place_group_id AND p.place = u.place);

-- Subscriptions that outlived their permission before it ended them (the user left the list's
-- group, the list changed owner …) end now.
DELETE FROM list_subscription s
WHERE NOT EXISTS (SELECT 1 FROM list_permission p
                  WHERE p.user_id = s.user_id AND p.list_id = s.list_id);
